/**
 * Reload transactions: prepare a candidate generation of every affected plugin, commit it in one
 * synchronous swap, or roll it back leaving the live generation serving. One build runs at a
 * time; reloads asked for during a build are merged into exactly one follow-up build.
 */
import { PluginInstance, PrepareFailure, type PrepareContext } from './generation.js';
import type { ReloadResult, PreparePhase } from './types.js';
import { now } from '../commons.js';
import { EsmSandboxError, PluginError } from '../errors/errors.js';

export interface TransactionHooks {
  /** Per-candidate sandbox settings (everything but the generation and hot data). */
  context(): Omit<PrepareContext, 'generation' | 'data'>;
  /** Plugin id → entry, as configured. */
  entries: ReadonlyMap<string, string>;
  drainMs: number;
  disposeMs: number;
  committed(generation: number, plugins: string[], changed: string[], ms: number): void;
  rolledBack(failure: PrepareFailure, plugins: string[], changed: string[]): void;
  /** A retired generation's hooks failed or ran over. */
  retireError(error: Error): void;
}

interface Request {
  ids: Set<string>;
  changed: Set<string>;
  waiters: Array<(result: ReloadResult) => void>;
}

export class Transactions {
  private readonly live = new Map<string, PluginInstance>();
  /** The last failed attempt per plugin, cleared by its next commit. */
  readonly failures = new Map<string, { phase: PreparePhase; error: EsmSandboxError; files: string[] }>();
  generation = 0;
  private building: Promise<void> | undefined;
  private next: Request | undefined;
  private readonly retiring = new Set<Promise<unknown>>();
  private closed = false;

  constructor(private readonly hooks: TransactionHooks) {}

  instance(id: string): PluginInstance | undefined {
    return this.live.get(id);
  }

  instances(): IterableIterator<PluginInstance> {
    return this.live.values();
  }

  /**
   * Reload these plugins (as one candidate). While a build runs, requests are merged into the one
   * that follows it, and every caller gets that build's result.
   */
  reload(ids: Iterable<string>, changed: Iterable<string> = []): Promise<ReloadResult> {
    const request = this.next ?? (this.next = { ids: new Set(), changed: new Set(), waiters: [] });
    for (const id of ids) request.ids.add(id);
    for (const file of changed) request.changed.add(file);
    const result = new Promise<ReloadResult>((resolve) => request.waiters.push(resolve));
    if (this.building === undefined) this.building = this.drain();
    return result;
  }

  /** Stop building, then retire every live instance (hooks bounded) and wait for all of it. */
  async close(): Promise<void> {
    this.closed = true;
    await this.building;
    const all = [...this.live.values()];
    this.live.clear();
    await Promise.all([...all.map((instance) => instance.retire(0, this.hooks.disposeMs)), ...this.retiring]);
  }

  private async drain(): Promise<void> {
    for (let request = this.next; request !== undefined; request = this.next) {
      this.next = undefined;
      let result: ReloadResult;
      try {
        result = this.closed
          ? { committed: false, generation: this.generation, plugins: [...request.ids] }
          : await this.build([...request.ids], [...request.changed]);
      } catch (error) {
        // Not the plugins' fault (a sandbox that could not even be created): nothing was swapped.
        const failure =
          error instanceof EsmSandboxError
            ? error
            : new PluginError(`reload failed: ${error instanceof Error ? error.message : 'unknown error'}`, undefined, { cause: error });
        result = { committed: false, generation: this.generation, plugins: [...request.ids], error: failure };
      }
      for (const resolve of request.waiters) resolve(result);
    }
    this.building = undefined;
  }

  private async build(ids: string[], changed: string[]): Promise<ReloadResult> {
    const started = now();
    const generation = this.generation + 1;
    const base = this.hooks.context();
    // Prepared one after another: candidates share the machine with the live generation, and a
    // failure stops the rest early.
    const prepared: PluginInstance[] = [];
    try {
      for (const id of ids) {
        const entry = this.hooks.entries.get(id)!;
        const data =
          this.live
            .get(id)
            ?.data()
            .catch(() => ({})) ?? Promise.resolve({});
        prepared.push(await PluginInstance.prepare(id, entry, { ...base, generation, data }));
      }
    } catch (error) {
      await Promise.all(prepared.map((instance) => instance.discard()));
      if (!(error instanceof PrepareFailure)) throw error;
      this.failures.set(error.plugin, { phase: error.phase, error: error.error, files: error.files });
      this.hooks.rolledBack(error, ids, changed);
      return { committed: false, generation: this.generation, plugins: ids, error: error.error, phase: error.phase };
    }
    if (this.closed) {
      await Promise.all(prepared.map((instance) => instance.discard()));
      return { committed: false, generation: this.generation, plugins: ids };
    }
    // The commit: synchronous, so no call ever sees some plugins of one generation and some of another.
    const old: PluginInstance[] = [];
    for (const instance of prepared) {
      const previous = this.live.get(instance.id);
      if (previous !== undefined) old.push(previous);
      this.live.set(instance.id, instance);
      this.failures.delete(instance.id);
    }
    this.generation = generation;
    this.hooks.committed(generation, ids, changed, now() - started);
    for (const instance of old) this.retire(instance);
    return { committed: true, generation, plugins: ids };
  }

  private retire(instance: PluginInstance): void {
    const done = instance.retire(this.hooks.drainMs, this.hooks.disposeMs).then((problem) => {
      if (problem !== undefined) this.hooks.retireError(problem);
    });
    this.retiring.add(done);
    void done.finally(() => this.retiring.delete(done));
  }
}
