/**
 * The public shapes of esm-sandbox. Every isolation (`context`, `worker`, `process`) implements `Sandbox`.
 */
import type { PolicyOptions, Diagnostic } from './analyze/policy/types.js';
import type { ModuleDefinition } from './link/allowed.js';
import type { ConsoleLevel } from './realm-protocol.js';

export type { ConsoleLevel, Diagnostic, ModuleDefinition, PolicyOptions };

/** Receives the sandbox's `console` calls; `args` are host copies (functions and getters described, never run). */
export type ConsoleHandler = (level: ConsoleLevel, args: unknown[]) => void;

/**
 * `context`: a realm in this thread. `worker`: a realm in a worker thread (own heap). `process`:
 * a realm in a worker thread inside a child process, which survives what kills a whole process
 * (V8's fatal out-of-memory, a builtin that ignores termination, a crash).
 */
export type Isolation = 'context' | 'worker' | 'process';

export interface SandboxOptions {
  /** Directory whose files the sandbox may import (symlinks are followed and checked). Default: `process.cwd()`. */
  root?: string | URL;
  /** The allow-list: specifier → module (named exports). Nothing else but files under `root` is importable. */
  modules?: Readonly<Record<string, ModuleDefinition>>;
  /**
   * npm packages sandbox code may import by bare specifier (`['lodash-es', 'date-fns']`), found in
   * `node_modules` from the importing file's directory upward, as Node finds them, and resolved
   * through their `package.json` `exports` (deep imports only where `exports` allows them; without
   * `exports`, `module`, then `main`, then `index.js`). A listed package may import what its own
   * `package.json` declares as dependencies (they are what it needs), and itself by name; nothing
   * else. Each package is confined to its own real directory and runs in the sandbox under the same
   * policy and limits as sandbox code. ES modules only (no CommonJS). Default: none.
   */
  packages?: readonly string[];
  /**
   * The `exports`/`imports` conditions packages are resolved with; the package's key order decides
   * between them, and `default` always matches. Default `['import', 'default']` (no `node`: the
   * sandbox has none of Node's modules). E.g. `['browser', 'import', 'default']`.
   */
  conditions?: readonly string[];
  /**
   * `process.env.NODE_ENV` inside the sandbox, which bundled libraries read. Only sandboxes with
   * `packages` get a `process`: a frozen object made in the sandbox, holding nothing but
   * `env: { NODE_ENV }`. Default `'production'`.
   */
  nodeEnv?: string;
  /**
   * Milliseconds one turn may run (evaluation, a call, a timer callback), microtasks included.
   * Measured by Node's watchdog as wall-clock time while sandbox code runs, so a busy machine
   * counts against it: keep it well above the work's normal duration. Default 1000.
   */
  timeout?: number;
  /**
   * Meter the sandbox's code (default true): every loop iteration and function entry counts down a
   * budget that reads the clock now and then, so calls, timer callbacks and microtask drains need
   * no watchdog thread per turn (~2 µs instead of ~100-200 µs a call in `context` isolation). Module
   * evaluation keeps the watchdog. A builtin doing large work without calling user code (a
   * regular expression's backtracking, `Array.from({ length: 1e8 })`) is not metered: see
   * SECURITY.md for what bounds it. `false`: every turn runs under Node's watchdog, as before.
   */
  metering?: boolean;
  /** Milliseconds of wall clock one operation (`import`, `evaluate`, a call) may take, async waits included. Default 10000. */
  deadline?: number;
  /** Where the sandbox's `console` goes. Default: nowhere. */
  console?: ConsoleHandler;
  /** Errors nobody caught inside the sandbox: a throwing timer callback, an unhandled rejection. Default: the `console` handler at `error` level. */
  onError?: (error: Error) => void;
  /** Findings of severity `warn` (errors stop the load with a `PolicyError`). */
  onWarning?: (diagnostic: Diagnostic) => void;
  /** The static analysis policy; `false` turns every rule off (the realm and membrane still hold). */
  policy?: PolicyOptions | false;
  /** `context` (same thread), `worker` (own thread and heap), `process` (own process), or `auto`: context when this process has `vm.SourceTextModule`, else worker. */
  isolation?: Isolation | 'auto';
  /** Heap limit of a worker or process sandbox, in MB (a process sandbox's child is also held to a resident-memory cap). */
  memoryLimitMb?: number;
  /** Names the sandbox in its errors (`sandboxName`) and, for a realm not made ahead of need (docs/ARCHITECTURE.md, "Warm realms"), in debuggers. */
  name?: string;
  /** Largest module file, in bytes. Default 16 MiB. */
  maxModuleBytes?: number;
  /**
   * Extra `import.meta` properties: name → an allow-listed specifier whose `default` export is a
   * function. When a module first reads `import.meta`, that function is called with the module's
   * URL (inside the sandbox, within the current turn) and its result becomes `import.meta[name]`.
   * The provider module must have been imported before (by the host or a module evaluated
   * earlier); until then the property is absent. The policy rule `no-unknown-import-meta` accepts
   * these names. A `SourceModule` provider builds the value in the realm; a plain-object one is a
   * bridged host function whose result is copied in. Used by the plugin host for `import.meta.hot`.
   */
  importMeta?: Readonly<Record<string, string>>;
  /**
   * A directory for the analysis cache on disk: what loading a file learnt (its transformed code,
   * imports and policy findings) and V8's code cache, kept across processes, so a new process
   * skips parsing, analysis and policy for unchanged files. Entries are keyed by content hash,
   * URL, policy, esm-sandbox build and Node version, verified on read and written atomically; the
   * directory is bounded to 64 MB (least recently used entries go). It is created `0700` and must
   * be this user's alone: whoever can write it decides what code the sandbox compiles (SECURITY.md).
   * A directory that cannot be used is no cache, never an error. Default: none (`false`); the CLI
   * uses `node_modules/.cache/esm-sandbox`.
   */
  cacheDir?: string | URL | false;
}

/** A module's exports as the host sees them: data copied, functions callable (each call returns a promise). */
export type ModuleNamespace = Readonly<Record<string, unknown>>;

export interface EvaluateOptions {
  /** Path of the virtual file, relative to `root`; relative imports resolve from it. Default `evaluate-N.mjs`. */
  filename?: string;
}

export interface Sandbox extends AsyncDisposable {
  readonly isolation: Isolation;
  /** Real path of the root directory. */
  readonly root: string;
  /** True once disposed (by `dispose()`, a timeout, or a deadline). */
  readonly disposed: boolean;
  /**
   * Load, link and evaluate a module (a path relative to `root`, or an allow-listed specifier) and
   * return its namespace as host values.
   */
  import<T extends ModuleNamespace = ModuleNamespace>(specifier: string): Promise<T>;
  /** Evaluate module source text as a file under `root` and return its namespace. */
  evaluate<T extends ModuleNamespace = ModuleNamespace>(source: string, options?: EvaluateOptions): Promise<T>;
  /**
   * Real paths of the files the sandbox has loaded so far (static and dynamic imports, JSON
   * included; not `evaluate()` sources), in load order: what a watcher should watch.
   */
  files(): Promise<string[]>;
  /** Cancel timers, reject pending operations with `DisposedError`, drop the graph. */
  dispose(): Promise<void>;
}
