/**
 * `loadConfig()`: a user's `app.config.mjs` in, plain frozen host data out. The file runs in a
 * fresh sandbox that may import its own folder, `std:config` and `std:path` (and whatever the
 * caller allow-lists); the default export may be an object, a promise of one, or a function of
 * `{ mode, command, env }` as in Vite. Functions inside the result (plugin hooks) stay callable
 * and run in that sandbox under its limits, so the sandbox lives until `dispose()`; a config
 * without functions gives its sandbox back at once.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Diagnostic } from '../analyze/policy/types.js';
import { DEFAULT_DEADLINE_MS, DEFAULT_TIMEOUT_MS } from '../constants.js';
import { ConfigError, DeadlineError } from '../errors/errors.js';
import { specifierUnder } from '../resolve/paths.js';
import { createSandbox } from '../create.js';
import { stdConfig, pickEnv } from '../std/config.js';
import { stdPath } from '../std/path.js';
import type { ModuleNamespace, SandboxOptions } from '../types.js';
import { deepFreeze } from './freeze.js';

/** What a config's default-exported function is called with. */
export interface ConfigContext {
  /** E.g. `development` or `production`. */
  readonly mode: string;
  /** E.g. `serve` or `build`. */
  readonly command: string;
  /** The allow-listed environment variables (the same `std:config` exports as `env`). */
  readonly env: Readonly<Record<string, string>>;
}

export interface LoadConfigOptions extends Omit<SandboxOptions, 'root'> {
  /** Folder the config may import from. Default: the config file's folder. */
  root?: string | URL;
  /** Passed to a function config. Default `production`. */
  mode?: string;
  /** Passed to a function config. Default `build`. */
  command?: string;
  /**
   * The environment the config may read (through `std:config`'s `env` and the context): names of
   * variables to take from `process.env`, or the variables themselves. Default: none.
   */
  env?: readonly string[] | Readonly<Record<string, string>>;
}

export interface LoadedConfig<T = Record<string, unknown>> extends AsyncDisposable {
  /** The config as plain host data, deeply frozen. Functions in it run in the config's sandbox. */
  readonly config: T;
  /** Real paths of every file the config imported, itself included: what a watcher should watch. */
  readonly dependencies: readonly string[];
  /** Policy findings below `error` (warnings); errors stop the load with a `PolicyError`. */
  readonly diagnostics: readonly Diagnostic[];
  /** Where the config holds functions, e.g. `plugins[0].transform`; empty for pure data. */
  readonly functions: readonly string[];
  /** Frees the sandbox that runs the config's functions; they fail with `DisposedError` afterwards. */
  dispose(): Promise<void>;
}

/**
 * Load a config file in a fresh sandbox and return its default export as frozen host data.
 * Defaults: `timeout` 1000 ms per turn, `deadline` 10 s per operation, policy `recommended`.
 * @throws PolicyError, ModuleNotAllowedError, SandboxError, TimeoutError, DeadlineError,
 *   MemoryLimitError (worker isolation), ConfigError (no default export, or not an object).
 */
export async function loadConfig<T = Record<string, unknown>>(
  file: string | URL,
  options: LoadConfigOptions = {},
): Promise<LoadedConfig<T>> {
  const absolute = path.resolve(file instanceof URL || String(file).startsWith('file:') ? fileURLToPath(file) : String(file));
  const { mode = 'production', command = 'build', env: envOption, modules, onWarning, ...rest } = options;
  const env = Array.isArray(envOption) ? pickEnv(envOption) : { ...(envOption as Record<string, string> | undefined) };
  const diagnostics: Diagnostic[] = [];
  const sandbox = createSandbox({
    timeout: DEFAULT_TIMEOUT_MS,
    deadline: DEFAULT_DEADLINE_MS,
    ...rest,
    root: options.root ?? path.dirname(absolute),
    modules: { 'std:config': stdConfig({ env }), 'std:path': stdPath, ...modules },
    onWarning: (diagnostic) => {
      diagnostics.push(diagnostic);
      onWarning?.(diagnostic);
    },
  });
  try {
    // A file outside the root goes to the resolver as it is, which refuses it with a ResolveError.
    const namespace = await sandbox.import(specifierUnder(sandbox.root, absolute) ?? absolute);
    const config = await configOf(
      namespace,
      { mode, command, env: Object.freeze({ ...env }) },
      absolute,
      rest.deadline ?? DEFAULT_DEADLINE_MS,
    );
    const functions = deepFreeze(config);
    const dependencies = Object.freeze(await sandbox.files());
    if (functions.length === 0) await sandbox.dispose();
    return Object.freeze({
      config: config as T,
      dependencies,
      diagnostics: Object.freeze(diagnostics),
      functions: Object.freeze(functions),
      dispose: () => sandbox.dispose(),
      [Symbol.asyncDispose]: () => sandbox.dispose(),
    });
  } catch (error) {
    await sandbox.dispose();
    throw error;
  }
}

async function configOf(namespace: ModuleNamespace, context: ConfigContext, file: string, deadline: number): Promise<object> {
  const where = { url: pathToFileURL(file).href };
  if (!Object.hasOwn(namespace, 'default')) {
    throw new ConfigError(`${file} has no default export: export the config with \`export default defineConfig({ ... })\``, where);
  }
  // An exported promise is not an operation of the sandbox's (nobody may ever await it), so
  // its deadline is ours to keep. Calls (a function config) run under the sandbox's own.
  let value: unknown = await withDeadline(namespace.default, deadline, 'the default export (a promise) of the config');
  if (typeof value === 'function') value = await (value as (context: ConfigContext) => unknown)(context);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    throw new ConfigError(
      `The default export of ${file} must be an object, a promise of one, or a function returning one; got ${got}`,
      where,
    );
  }
  return value;
}

function withDeadline<T>(value: T | Promise<T>, ms: number, what: string): Promise<T> {
  if (!(value instanceof Promise) || !Number.isFinite(ms)) return Promise.resolve(value);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(ms, what)), ms);
  });
  return Promise.race([value, expired]).finally(() => clearTimeout(timer));
}
