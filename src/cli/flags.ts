/**
 * Flags shared by the commands that run code (`run`, `config`): parsed into sandbox options,
 * with a `UsageError` (exit code 2) naming the flag when a value is wrong.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseBare } from '../resolve/packages.js';
import { isPathLike, specifierUnder } from '../resolve/paths.js';
import type { Isolation, ModuleDefinition, PolicyOptions, SandboxOptions } from '../types.js';

/** Bad command-line usage: exit code 2, with the usage text. */
export class UsageError extends Error {}

export interface Io {
  out(text: string): void;
  err(text: string): void;
  color: boolean;
  /**
   * Node's own `import()` of a trusted host module (--allow), from a file Node loaded: the CLI's
   * bundle cannot call `import()` itself, since V8 code caches drop the callback it needs.
   */
  importModule(url: string): Promise<unknown>;
}

export interface SandboxFlags {
  root?: string;
  allow?: string[];
  timeout?: string;
  deadline?: string;
  policy?: string;
  isolation?: string;
  'memory-limit'?: string;
  package?: string[];
  condition?: string[];
  'node-env'?: string;
  'cache-dir'?: string;
  'no-cache'?: boolean;
}

/** The sandbox options the flags ask for (`root` is the caller's business). */
export async function sandboxOptions(flags: SandboxFlags, io: Pick<Io, 'importModule'>): Promise<Omit<SandboxOptions, 'root'>> {
  const options: Omit<SandboxOptions, 'root'> = {
    modules: await allowList(flags.allow ?? [], io),
    timeout: milliseconds('--timeout', flags.timeout),
    deadline: milliseconds('--deadline', flags.deadline),
    policy: policyFlag(flags.policy),
    isolation: isolationFlag(flags.isolation),
    cacheDir: cacheDirFlag(flags),
  };
  const packages = packageFlags(flags);
  if (packages.packages.length > 0) Object.assign(options, packages);
  const memory = flags['memory-limit'];
  if (memory !== undefined) {
    const mb = Number(memory);
    if (!(mb >= 8)) throw new UsageError(`--memory-limit must be a number of megabytes (8 or more), got "${memory}"`);
    options.memoryLimitMb = mb;
    // A heap cap needs a heap of its own.
    if (options.isolation === undefined || options.isolation === 'auto') options.isolation = 'worker';
    else if (options.isolation === 'context')
      throw new UsageError('--memory-limit needs --isolation worker or process (a context shares the host heap)');
  }
  return options;
}

/** `--package name` (repeatable), `--condition name` (repeatable), `--node-env value`. */
export function packageFlags(
  flags: Pick<SandboxFlags, 'package' | 'condition' | 'node-env'>,
): Pick<SandboxOptions, 'packages' | 'conditions' | 'nodeEnv'> & { packages: string[] } {
  const packages = flags.package ?? [];
  for (const name of packages) {
    if (parseBare(name)?.subpath !== '.') throw new UsageError(`--package ${name}: not a package name (e.g. lodash-es or @scope/name)`);
  }
  const out: Pick<SandboxOptions, 'conditions' | 'nodeEnv'> & { packages: string[] } = { packages };
  if (flags.condition !== undefined) {
    if (flags.condition.some((c) => c === '')) throw new UsageError('--condition must not be empty');
    out.conditions = flags.condition;
  }
  if (flags['node-env'] !== undefined) out.nodeEnv = flags['node-env'];
  return out;
}

/** `--allow spec=./host-module.mjs`: the host module (trusted, loaded natively) provides the exports. */
async function allowList(entries: string[], io: Pick<Io, 'importModule'>): Promise<Record<string, ModuleDefinition>> {
  const modules: Record<string, ModuleDefinition> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new UsageError(`--allow ${entry}: expected <specifier>=<host module file>`);
    const specifier = entry.slice(0, eq);
    if (isPathLike(specifier))
      throw new UsageError(`--allow ${entry}: "${specifier}" looks like a path; allow a bare specifier such as "app:api"`);
    const hostModule = path.resolve(entry.slice(eq + 1));
    modules[specifier] = { ...((await io.importModule(pathToFileURL(hostModule).href)) as Record<string, unknown>) };
  }
  return modules;
}

/**
 * `--cache-dir <dir>`, `--no-cache`; by default `node_modules/.cache/esm-sandbox` of the nearest
 * directory (from the working directory up) with a `package.json`, else of the working directory,
 * where build tools keep their caches.
 */
function cacheDirFlag(flags: Pick<SandboxFlags, 'cache-dir' | 'no-cache'>): string | false {
  if (flags['no-cache'] === true) {
    if (flags['cache-dir'] !== undefined) throw new UsageError('--cache-dir and --no-cache exclude each other');
    return false;
  }
  if (flags['cache-dir'] !== undefined) {
    if (flags['cache-dir'] === '') throw new UsageError('--cache-dir must name a directory');
    return path.resolve(flags['cache-dir']);
  }
  const cwd = process.cwd();
  let root = cwd;
  while (!existsSync(path.join(root, 'package.json'))) {
    const parent = path.dirname(root);
    if (parent === root) {
      root = cwd;
      break;
    }
    root = parent;
  }
  return path.join(root, 'node_modules', '.cache', 'esm-sandbox');
}

function milliseconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0)) throw new UsageError(`${flag} must be a positive number of milliseconds, got "${value}"`);
  return n;
}

function policyFlag(value: string | undefined): PolicyOptions | false | undefined {
  if (value === undefined) return undefined;
  if (value === 'off') return false;
  if (value === 'recommended' || value === 'strict') return { preset: value };
  throw new UsageError(`--policy must be recommended, strict or off, got "${value}"`);
}

function isolationFlag(value: string | undefined): Isolation | 'auto' | undefined {
  if (value === undefined || value === 'auto' || value === 'context' || value === 'worker' || value === 'process') return value;
  throw new UsageError(`--isolation must be auto, context, worker or process, got "${value}"`);
}

/**
 * `--root`, absolute. The flags are checked here rather than left to createSandbox's TypeErrors:
 * the CLI treats only its own UsageError as bad usage.
 */
export function rootFlag(root: string): string {
  const absolute = path.resolve(root);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(absolute).isDirectory();
  } catch {
    throw new UsageError(`--root ${root}: no such directory (${absolute})`);
  }
  if (!isDirectory) throw new UsageError(`--root ${root}: not a directory (${absolute})`);
  return absolute;
}

/** `file` relative to `root` as an entry specifier (`./a/b.mjs`), or a UsageError if it is outside. */
export function entrySpecifier(file: string, root: string): string {
  const specifier = specifierUnder(root, path.resolve(file));
  if (specifier === undefined) throw new UsageError(`${file} is not inside --root ${root}`);
  return specifier;
}
