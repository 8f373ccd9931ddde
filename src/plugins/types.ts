/**
 * The public shapes of the plugin host (`createPluginHost`): options, handles, reload results
 * and events.
 */
import type { EsmSandboxError } from '../errors/errors.js';
import type { Isolation, ModuleNamespace, SandboxOptions } from '../types.js';
import type { RecycleBudget } from '../worker/lane.js';
import type { PluginWatcher } from './watcher.js';

/**
 * Where a candidate generation failed, as `rolled-back` events and reload results name it:
 * `read` (a file missing, outside the root, unreadable), `syntax`, `policy` (a policy finding or an
 * import outside the allow-list), `link`, `evaluate` (a throw, a timeout or deadline), `activate`.
 */
export type PreparePhase = 'read' | 'syntax' | 'policy' | 'link' | 'evaluate' | 'activate';

export interface PluginHostOptions extends Pick<
  SandboxOptions,
  | 'modules'
  | 'policy'
  | 'timeout'
  | 'deadline'
  | 'memoryLimitMb'
  | 'console'
  | 'onWarning'
  | 'maxModuleBytes'
  | 'packages'
  | 'conditions'
  | 'nodeEnv'
  | 'cacheDir'
> {
  /** Directory holding the plugins; every plugin's files must be under it. Watched when `watch` is on. */
  root: string | URL;
  /** Plugin id → entry file, relative to `root` (`{ greet: './greet/index.mjs' }`). */
  plugins: Readonly<Record<string, string>>;
  /**
   * Isolation of every plugin sandbox. Default `worker`: a context that held a module is never
   * freed (docs/ARCHITECTURE.md section 9), and worker threads are retired after a budget of them,
   * so memory stays flat over any number of reloads; `process` does the same in child processes. `context` keeps ~200 KB per reload for good.
   */
  isolation?: Isolation;
  /**
   * When a `worker` isolation thread of this host is retired and a fresh one takes its place (the
   * host runs its own threads). Default: 64 contexts (one per plugin per reload) or 256 MB of heap.
   */
  recycle?: RecycleBudget;
  /**
   * Reload on file changes: `true` (default) watches `root` with chokidar, `false` reloads only on
   * `host.reload()`, or a `PluginWatcher` of your own (a dev server's watcher, say).
   */
  watch?: boolean | PluginWatcher;
  /** Milliseconds without a change before the changes so far build one candidate generation. Default 75. */
  quietMs?: number;
  /** Milliseconds the old generation's `deactivate` and `import.meta.hot.dispose` callbacks may take, together. Default 1000. */
  disposeTimeout?: number;
  /** Provide `import.meta.hot` to plugin modules. Default true. */
  hot?: boolean;
}

/** A stable reference to a plugin: `exports` always answers from the live generation. */
export interface PluginHandle<T extends ModuleNamespace = ModuleNamespace> {
  readonly id: string;
  /**
   * The live generation's exports: data copied, functions callable (each call returns a promise).
   * Read it per use: a call already running finishes on its generation, but a function kept from
   * a generation that has since been retired fails with `DisposedError`.
   */
  readonly exports: T;
  /** The generation serving this plugin (0: none has loaded yet). */
  readonly generation: number;
}

export interface PluginStatus {
  id: string;
  /** `active`: a generation serves it; `failed`: none has loaded yet; `closed`: the host is closed. */
  state: 'active' | 'failed' | 'closed';
  /** The generation serving it (0 when none). */
  generation: number;
  /** Real paths of the files its live generation loaded. */
  files: string[];
  /** The last failed attempt to load it, if its last attempt failed. */
  lastError?: { phase: PreparePhase; error: EsmSandboxError };
}

export interface ReloadResult {
  committed: boolean;
  /** The host's generation after this reload (unchanged when it rolled back). */
  generation: number;
  /** The plugins the candidate held. */
  plugins: string[];
  error?: EsmSandboxError;
  phase?: PreparePhase;
}

export interface ReloadedEvent {
  generation: number;
  plugins: string[];
  /** Files whose content changed, when a watcher caused the reload. */
  changed: string[];
  /** Milliseconds from the start of the build to the commit. */
  ms: number;
}

export interface RolledBackEvent {
  /** The generation that keeps serving. */
  generation: number;
  plugins: string[];
  /** The plugin whose preparation failed. */
  plugin: string;
  phase: PreparePhase;
  /** Carries the module URL, line, column and code frame when the source is at fault. */
  error: EsmSandboxError;
  changed: string[];
}

export interface PluginHostEvents {
  reloaded: [event: ReloadedEvent];
  'rolled-back': [event: RolledBackEvent];
  /** Failures after a commit (a `deactivate` or `dispose` that threw or ran over), watcher errors, errors nobody caught inside a plugin. */
  error: [error: Error];
}
