/**
 * `createPluginHost`: user plugins, each in sandboxes of its own, reloaded on edit as
 * transactions (transaction.ts), watched through a swappable watcher (watcher.ts) whose events
 * are reduced to real content changes (changes.ts).
 */
import { EventEmitter } from 'node:events';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { now } from '../commons.js';
import { DEFAULT_DEADLINE_MS } from '../constants.js';
import { PluginError } from '../errors/errors.js';
import { createSandbox } from '../create.js';
import type { ModuleNamespace, Sandbox, SandboxOptions } from '../types.js';
import type { RecycleBudget } from '../worker/lane.js';
import { createSandboxPool, type SandboxPool } from '../worker/pool.js';
import { ChangeTracker } from './changes.js';
import type { PluginInstance } from './generation.js';
import { Transactions } from './transaction.js';
import type { PluginHandle, PluginHostEvents, PluginHostOptions, PluginStatus, ReloadResult } from './types.js';
import { chokidarWatcher, type PluginWatcher } from './watcher.js';

const DEFAULT_QUIET_MS = 75;
const DEFAULT_DISPOSE_MS = 1_000;
/** Least time between two restarts of a plugin whose live generation keeps dying. */
const RESTART_INTERVAL_MS = 1_000;
/**
 * Half the library's default: a retired thread's memory is not all given back to the system, and
 * RSS settles higher the more contexts a thread held. Measured over 3,000 reloads (Node 24): RSS
 * levels off ~50 MB above its start with 128 contexts per thread, ~25 MB with 64 (and no higher
 * on Node 20); the thread starts this costs run on the warm spare, off the reload's path.
 */
const DEFAULT_RECYCLE: RecycleBudget = { contexts: 64 };

export interface PluginHost extends EventEmitter<PluginHostEvents>, AsyncDisposable {
  /** Real path of the plugin root. */
  readonly root: string;
  /** The latest committed generation (0 until one has). */
  readonly generation: number;
  /** A stable handle: its `exports` answer from whatever generation is live. */
  plugin<T extends ModuleNamespace = ModuleNamespace>(id: string): PluginHandle<T>;
  /** Rebuild these plugins (all by default) as one transaction. */
  reload(ids?: readonly string[]): Promise<ReloadResult>;
  status(id: string): PluginStatus;
  /** Deliver an event to the plugins' `import.meta.hot.on(event, ...)` listeners (all plugins by default). */
  send(event: string, payload?: unknown, ids?: readonly string[]): Promise<void>;
  /** Stop watching, wait for the build in progress, retire every generation; leaves no handle open. */
  close(): Promise<void>;
}

class Host extends EventEmitter<PluginHostEvents> implements PluginHost {
  readonly root: string;
  private readonly transactions: Transactions;
  private readonly tracker: ChangeTracker | undefined;
  private readonly watcher: PluginWatcher | undefined;
  private readonly handles = new Map<string, PluginHandle>();
  private readonly pool: SandboxPool | undefined;
  private closing: Promise<void> | undefined;
  /** Plugins whose dead live generation is about to be rebuilt, and when each was last rebuilt so. */
  private readonly restarting = new Set<string>();
  private readonly restartedAt = new Map<string, number>();

  constructor(private readonly options: PluginHostOptions) {
    super();
    const rootPath =
      options.root instanceof URL || String(options.root).startsWith('file:') ? fileURLToPath(options.root) : String(options.root);
    this.root = realpathSync.native(rootPath);
    const entries = new Map(Object.entries(options.plugins ?? {}));
    if (entries.size === 0) throw new TypeError('createPluginHost: plugins must name at least one plugin (id → entry file)');
    for (const [id, entry] of entries) {
      if (typeof entry !== 'string') throw new TypeError(`createPluginHost: plugins["${id}"] must be a path relative to root`);
    }
    const sandbox: SandboxOptions = {
      root: this.root,
      modules: options.modules,
      policy: options.policy,
      timeout: options.timeout,
      deadline: options.deadline,
      console: options.console,
      onWarning: options.onWarning,
      maxModuleBytes: options.maxModuleBytes,
      packages: options.packages,
      conditions: options.conditions,
      nodeEnv: options.nodeEnv,
      cacheDir: options.cacheDir,
      onError: (error) => {
        this.emitError(error);
        // A background turn (a timer, a settled promise) that timed out disposed its sandbox.
        for (const id of Object.keys(this.options.plugins)) {
          const instance = this.transactions.instance(id);
          if (instance?.sandbox.disposed) this.died(instance, error);
        }
      },
    };
    const isolation = options.isolation ?? 'worker';
    if (isolation !== 'worker' && isolation !== 'process' && isolation !== 'context') {
      throw new TypeError(`createPluginHost: isolation must be "worker", "process" or "context", got ${String(isolation)}`);
    }
    if (isolation === 'context' && options.memoryLimitMb !== undefined)
      throw new TypeError('createPluginHost: memoryLimitMb needs isolation "worker" or "process"');
    // Worker (or process) sandboxes come from a pool of the host's own: its recycling budget is
    // the host's, and closing the host ends its threads.
    this.pool =
      isolation !== 'context'
        ? createSandboxPool({
            ...sandbox,
            isolation,
            size: 1,
            recycle: options.recycle ?? DEFAULT_RECYCLE,
            memoryLimitMb: options.memoryLimitMb,
          })
        : undefined;
    const pool = this.pool;
    const create = (extra: Pick<SandboxOptions, 'modules' | 'importMeta' | 'name'>): Sandbox =>
      pool !== undefined
        ? pool.create(extra)
        : createSandbox({ ...sandbox, ...extra, isolation: 'context', memoryLimitMb: options.memoryLimitMb });
    const hot = options.hot ?? true;
    this.transactions = new Transactions({
      entries,
      drainMs: options.deadline ?? DEFAULT_DEADLINE_MS,
      disposeMs: options.disposeTimeout ?? DEFAULT_DISPOSE_MS,
      context: () => ({
        modules: options.modules,
        create,
        hot,
        invalidate: (id, generation) => this.invalidated(id, generation),
        died: (instance, error) => this.died(instance, error),
      }),
      committed: (generation, plugins, changed, ms) => {
        const remembered = this.tracker?.remember(plugins.flatMap((id) => this.transactions.instance(id)?.files ?? []));
        void remembered?.catch((error: unknown) => this.emitError(error));
        this.emit('reloaded', { generation, plugins, changed, ms });
      },
      rolledBack: (failure, plugins, changed) => {
        this.emit('rolled-back', {
          generation: this.transactions.generation,
          plugins,
          plugin: failure.plugin,
          phase: failure.phase,
          error: failure.error,
          changed,
        });
      },
      retireError: (error) => this.emitError(error),
    });
    const watch = options.watch ?? true;
    if (watch !== false) {
      this.watcher = watch === true ? chokidarWatcher() : watch;
      this.tracker = new ChangeTracker(options.quietMs ?? DEFAULT_QUIET_MS, (files) => this.changed(files));
    }
  }

  get generation(): number {
    return this.transactions.generation;
  }

  async start(): Promise<void> {
    if (this.tracker !== undefined) {
      const entryFiles = Object.values(this.options.plugins).map((entry) => path.resolve(this.root, entry));
      await this.tracker.remember(entryFiles);
      await this.watcher!.watch(this.root, { change: (file) => this.tracker!.notify(file), error: (error) => this.emitError(error) });
    }
    await this.transactions.reload(Object.keys(this.options.plugins));
  }

  plugin<T extends ModuleNamespace = ModuleNamespace>(id: string): PluginHandle<T> {
    this.known(id);
    let handle = this.handles.get(id);
    if (handle === undefined) {
      const transactions = this.transactions;
      handle = Object.freeze({
        id,
        get exports(): ModuleNamespace {
          const instance = transactions.instance(id);
          if (instance === undefined) {
            const failure = transactions.failures.get(id);
            throw new PluginError(
              `plugin "${id}" has no live generation${failure ? `: ${failure.error.message}` : ''}`,
              id,
              failure ? { cause: failure.error } : {},
            );
          }
          return instance.exports;
        },
        get generation(): number {
          return transactions.instance(id)?.generation ?? 0;
        },
      });
      this.handles.set(id, handle);
    }
    return handle as PluginHandle<T>;
  }

  reload(ids: readonly string[] = Object.keys(this.options.plugins)): Promise<ReloadResult> {
    for (const id of ids) this.known(id);
    if (this.closing !== undefined) return Promise.reject(new PluginError('the plugin host is closed'));
    return this.transactions.reload(ids);
  }

  status(id: string): PluginStatus {
    this.known(id);
    const instance = this.transactions.instance(id);
    const failure = this.transactions.failures.get(id);
    return {
      id,
      state: this.closing !== undefined ? 'closed' : instance !== undefined ? 'active' : 'failed',
      generation: instance?.generation ?? 0,
      files: [...(instance?.files ?? [])],
      ...(failure ? { lastError: { phase: failure.phase, error: failure.error } } : {}),
    };
  }

  async send(event: string, payload?: unknown, ids: readonly string[] = Object.keys(this.options.plugins)): Promise<void> {
    await Promise.all(ids.map((id) => this.transactions.instance(id)?.emit(event, payload)));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.tracker?.close();
      await this.watcher?.close();
      await this.transactions.close();
      await this.pool?.close();
    })();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Content changed: rebuild the plugins that loaded one of these files, and those whose last attempt failed. */
  private changed(files: string[]): void {
    if (this.closing !== undefined) return;
    const touched = new Set(files);
    const affected: string[] = [];
    for (const id of Object.keys(this.options.plugins)) {
      const instance = this.transactions.instance(id);
      // A failed attempt may have stopped before reaching the file that fixes it, so every change retries.
      if (this.transactions.failures.has(id) || instance === undefined || instance.files.some((file) => touched.has(file)))
        affected.push(id);
    }
    if (affected.length > 0) void this.transactions.reload(affected, files);
  }

  /**
   * Only the live generation's `invalidate()` counts: a candidate calling it while it evaluates
   * would otherwise ask for a reload with every reload, for ever.
   */
  private invalidated(id: string, generation: number): void {
    if (this.closing !== undefined || this.transactions.instance(id)?.generation !== generation) return;
    void this.transactions.reload([id]);
  }

  /**
   * The live generation of a plugin lost its sandbox (a call or a background turn ran past its
   * limits, or its thread or child died): build the plugin again from the same files, as a
   * supervisor restarts a crashed service, telling `error` listeners why. A plugin that keeps
   * dying is restarted at most once per RESTART_INTERVAL_MS.
   */
  private died(instance: PluginInstance, cause: unknown): void {
    const { id, generation } = instance;
    if (this.closing !== undefined || this.transactions.instance(id) !== instance || this.restarting.has(id)) return;
    this.restarting.add(id);
    const why = cause instanceof Error ? cause.message : 'its sandbox was disposed';
    this.emitError(new PluginError(`plugin "${id}" (generation ${generation}) stopped: ${why}; restarting it`, id, { cause }));
    const last = this.restartedAt.get(id) ?? -Infinity;
    const wait = Math.max(0, last + RESTART_INTERVAL_MS - now());
    setTimeout(() => {
      this.restarting.delete(id);
      if (this.closing !== undefined || this.transactions.instance(id) !== instance) return;
      this.restartedAt.set(id, now());
      void this.transactions.reload([id]).catch((error: unknown) => this.emitError(error));
    }, wait).unref();
  }

  private known(id: string): void {
    if (!Object.hasOwn(this.options.plugins, id)) throw new PluginError(`no plugin "${id}" in this host`, id);
  }

  private emitError(error: unknown): void {
    const value = error instanceof Error ? error : new Error(String(error));
    // An 'error' event nobody listens to would throw here, inside a timer or a watcher callback.
    if (this.listenerCount('error') > 0) this.emit('error', value);
    else process.emitWarning(value.message, 'PluginHostWarning');
  }
}

/**
 * Load every plugin (each in a sandbox of its own, `worker` isolation by default) and watch `root`.
 * Resolves once the first generation was attempted: a plugin that failed to load has no live
 * generation (`status(id).lastError` says why) and is retried on the next change or `reload()`.
 */
export async function createPluginHost(options: PluginHostOptions): Promise<PluginHost> {
  const host = new Host(options);
  try {
    await host.start();
  } catch (error) {
    await host.close();
    throw error;
  }
  return host;
}
