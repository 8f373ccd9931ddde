/**
 * One plugin in one generation: a fresh sandbox holding the plugin's whole graph, evaluated and
 * activated, with the exports the host hands out. Preparing one never touches the live generation
 * except to read its `import.meta.hot` data, and a failed one is disposed before anyone sees it.
 */
import path from 'node:path';
import { ReflectGetOwnPropertyDescriptor, ReflectOwnKeys } from '../commons.js';
import { EsmSandboxError, PluginError } from '../errors/errors.js';
import type { ModuleNamespace, Sandbox, SandboxOptions } from '../types.js';
import { WorkerSandbox } from '../worker/worker-sandbox.js';
import { HOT_SPECIFIER, hotRuntime, type HotControl } from './hot.js';
import { asSandboxError, loadPlugin, own, type PluginLoad, type PluginLoaded } from './load-plugin.js';
import type { PreparePhase } from './types.js';

/** What preparing a plugin needs besides its id and entry. */
export interface PrepareContext {
  /** The modules every plugin sandbox allow-lists. */
  modules: SandboxOptions['modules'];
  /** A fresh sandbox with the host's options plus these. */
  create(extra: Pick<SandboxOptions, 'modules' | 'importMeta' | 'name'>): Sandbox;
  hot: boolean;
  generation: number;
  /** The live generation's `import.meta.hot` data of this plugin, a host copy (read while the candidate starts). */
  data: Promise<Readonly<Record<string, unknown>>>;
  /** `import.meta.hot.invalidate()` was called in generation `generation` of plugin `id`. */
  invalidate(id: string, generation: number, url: string, message: string): void;
  /** A call into this instance failed and left its sandbox disposed (a timeout, a deadline, a crash). */
  died?(instance: PluginInstance, error: unknown): void;
}

/** A failed preparation: the phase it failed in and the error, with file, line, column and frame when the source is at fault. */
export class PrepareFailure extends Error {
  constructor(
    readonly plugin: string,
    readonly phase: PreparePhase,
    readonly error: EsmSandboxError,
    readonly files: string[],
  ) {
    super(error.message);
  }
}

type Callable = (...args: unknown[]) => Promise<unknown>;

/**
 * An instance's `import.meta.hot` runtime and what the host knows of it without asking: the data
 * it was given (a host copy) and whether any module has read `import.meta` yet. Until one has, the
 * runtime holds no record, so collecting its data, disposing it and delivering events are answered
 * here, with no turn into the sandbox (one each per reload, with a watchdog thread each).
 */
interface HotState {
  /** The runtime's exports, once it is installed. */
  control: HotControl | undefined;
  carried: Readonly<Record<string, unknown>>;
  used: boolean;
}

let hotCalls = 0;

/** Calls into `import.meta.hot` runtimes this thread has made (a test observes the ones skipped, as with parseCount). */
export function hotRuntimeCalls(): number {
  return hotCalls;
}

/** `work` calls into a runtime: counted. */
function callHot<T>(work: () => Promise<T>): Promise<T> {
  hotCalls++;
  return work();
}

export class PluginInstance {
  /** Calls running on this instance; it is retired only once they have finished (or the deadline passed). */
  private running = 0;
  private idle: (() => void) | undefined;
  readonly exports: ModuleNamespace;

  private constructor(
    readonly id: string,
    readonly generation: number,
    readonly sandbox: Sandbox,
    private readonly namespace: ModuleNamespace,
    private readonly hot: HotState | undefined,
    readonly files: readonly string[],
    private readonly died: PrepareContext['died'],
  ) {
    this.exports = this.wrap(namespace);
  }

  /**
   * Read, check, link, evaluate and activate `entry` in a fresh sandbox; throws a PrepareFailure.
   * A worker (or child process) sandbox does all of it in one request (load-plugin.ts).
   */
  static async prepare(id: string, entry: string, context: PrepareContext): Promise<PluginInstance> {
    const name = `plugin ${id} (generation ${context.generation})`;
    const sandbox = context.hot
      ? context.create({ name, modules: { ...context.modules, [HOT_SPECIFIER]: hotRuntime }, importMeta: { hot: HOT_SPECIFIER } })
      : context.create({ name });
    const load: PluginLoad = { id, entry, generation: context.generation };
    let hot: HotState | undefined;
    let outcome: PluginLoaded;
    try {
      if (context.hot) {
        const state: HotState = { control: undefined, carried: await context.data, used: false };
        load.hot = {
          data: state.carried,
          invalidate: (url, message) => context.invalidate(id, context.generation, url, message),
          firstUse: () => {
            state.used = true;
          },
        };
        hot = state;
        hotCalls++;
      }
      outcome = sandbox instanceof WorkerSandbox ? await sandbox.loadPlugin(load) : await loadPlugin(sandbox, load);
    } catch (error) {
      // The sandbox itself failed (its thread died, the deadline passed): no files to name.
      outcome = { ok: false, phase: 'evaluate', error: asSandboxError(error, id), files: [] };
    }
    if (!outcome.ok) {
      await sandbox.dispose();
      const files = outcome.files.length > 0 ? outcome.files : [path.resolve(sandbox.root, entry)];
      throw new PrepareFailure(id, outcome.phase, outcome.error, files);
    }
    if (hot !== undefined) hot.control = outcome.control;
    return new PluginInstance(id, context.generation, sandbox, outcome.namespace, hot, outcome.files, context.died);
  }

  /** This instance's `import.meta.hot` data (a host copy), to carry into the next generation. */
  async data(): Promise<Readonly<Record<string, unknown>>> {
    const { hot } = this;
    if (hot === undefined || this.sandbox.disposed) return {};
    const { control } = hot;
    return hot.used && control !== undefined ? callHot(() => control.collect()) : hot.carried;
  }

  /** Deliver a host event to the plugin's `import.meta.hot.on` listeners. */
  async emit(event: string, payload: unknown): Promise<void> {
    const { hot } = this;
    const control = hot?.used === true ? hot.control : undefined;
    if (control !== undefined && !this.sandbox.disposed) await callHot(() => control.emit(event, payload));
  }

  /**
   * After the swap: wait for running calls (bounded by `drainMs`), then run `deactivate` and the
   * `import.meta.hot.dispose` callbacks within `disposeMs`, then dispose the sandbox. Resolves with
   * what went wrong, if anything; never rejects.
   */
  async retire(drainMs: number, disposeMs: number): Promise<Error | undefined> {
    if (this.running > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, drainMs);
        this.idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    let problem: Error | undefined;
    const deactivate = own(this.namespace, 'deactivate');
    const hooks = (async () => {
      if (typeof deactivate === 'function') await (deactivate as Callable)();
      const { hot } = this;
      const control = hot?.used === true ? hot.control : undefined;
      if (control !== undefined) await callHot(() => control.dispose());
    })();
    let timer: NodeJS.Timeout | undefined;
    const cutOff = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), disposeMs);
    });
    try {
      const outcome = await Promise.race([hooks, cutOff]);
      if (outcome === 'late') {
        problem = new PluginError(
          `plugin "${this.id}" (generation ${this.generation}): deactivate/dispose did not finish within ${disposeMs} ms; its sandbox was disposed`,
          this.id,
        );
      }
    } catch (error) {
      problem = asSandboxError(error, this.id);
    } finally {
      clearTimeout(timer);
    }
    // The hooks' promise may still settle (with DisposedError) once the sandbox is gone.
    hooks.catch(() => undefined);
    await this.sandbox.dispose();
    return problem;
  }

  /** Dispose without hooks: for a candidate that never committed, or a host closing past its limit. */
  async discard(): Promise<void> {
    await this.sandbox.dispose();
  }

  /** Top-level functions are counted while they run, so a swap lets them finish here. */
  private wrap(namespace: ModuleNamespace): ModuleNamespace {
    const out: Record<string, unknown> = {};
    for (const key of ReflectOwnKeys(namespace)) {
      if (typeof key !== 'string') continue;
      const value = ReflectGetOwnPropertyDescriptor(namespace, key)?.value as unknown;
      out[key] = typeof value === 'function' ? this.counted(value as Callable) : value;
    }
    return Object.freeze(out);
  }

  private counted(fn: Callable): Callable {
    return async (...args: unknown[]) => {
      this.running++;
      try {
        return await fn(...args);
      } catch (error) {
        if (this.sandbox.disposed) this.died?.(this, error);
        throw error;
      } finally {
        if (--this.running === 0) this.idle?.();
      }
    };
  }
}
