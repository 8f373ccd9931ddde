/**
 * Options in, checked values out: every sandbox starts from a normalised copy, so a bad option
 * fails at `createSandbox` with a message naming it, not later inside a load.
 */
import { realpathSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolvePolicy, type ResolvedPolicy } from '../analyze/policy/engine.js';
import { allowList, type ModuleDefinition } from '../link/allowed.js';
import { parseBare, type PackageOptions } from '../resolve/packages.js';
import type { ConsoleHandler, SandboxOptions } from '../types.js';
import type { Diagnostic } from '../analyze/policy/types.js';
import { DEFAULT_DEADLINE_MS, DEFAULT_MAX_MODULE_BYTES, DEFAULT_TIMEOUT_MS } from '../constants.js';

export interface NormalizedOptions {
  root: string;
  /** `file:` URL of the root with a trailing slash: the referrer of entry specifiers. */
  rootUrl: string;
  modules: Map<string, ModuleDefinition>;
  timeout: number;
  deadline: number;
  /** SandboxOptions.metering, default true. */
  metering: boolean;
  console: ConsoleHandler | undefined;
  onError: ((error: Error) => void) | undefined;
  onWarning: ((diagnostic: Diagnostic) => void) | undefined;
  policy: ResolvedPolicy;
  policyFingerprint: string;
  name: string;
  maxModuleBytes: number;
  memoryLimitMb: number | undefined;
  /** `import.meta` property → allow-listed provider specifier (SandboxOptions.importMeta). */
  importMeta: ReadonlyMap<string, string>;
  /** The packages sandbox code may import and their conditions; undefined when none is listed. */
  packages: PackageOptions | undefined;
  /** `process.env.NODE_ENV` in the realm; undefined (no `process` at all) without packages. */
  nodeEnv: string | undefined;
  /** Absolute path of the analysis cache on disk (SandboxOptions.cacheDir), or undefined: none. */
  cacheDir: string | undefined;
}

/** Node's default minus `node`: the sandbox has none of Node's modules. */
const DEFAULT_CONDITIONS: readonly string[] = Object.freeze(['import', 'default']);

let counter = 0;

/** A sandbox's default name (pools reuse one normalisation for many sandboxes, each named anew). */
export const nextSandboxName = (): string => `esm-sandbox ${++counter}`;

export function normalizeOptions(options: SandboxOptions = {}): NormalizedOptions {
  const rootInput = options.root ?? process.cwd();
  const rootPath = rootInput instanceof URL || String(rootInput).startsWith('file:') ? fileURLToPath(rootInput) : String(rootInput);
  const root = realDirectory(rootPath);
  const effective = policyFor(options.policy);
  const modules = allowList(options.modules);
  const importMeta = importMetaProviders(options.importMeta, modules);
  const packages = packageOptions(options);
  let policyFingerprint = fingerprint(effective, modules);
  // Which import.meta names exist changes what no-unknown-import-meta reports, so it keys the cache too;
  // the packages change what no-disallowed-import and no-host-globals (`process.env`) report.
  if (importMeta.size > 0) policyFingerprint += `\nmeta:${[...importMeta.keys()].sort().join(',')}`;
  if (packages !== undefined) policyFingerprint += `\npackages:${JSON.stringify([...packages.listed].sort())}`;
  return {
    root,
    rootUrl: rootUrlOf(root),
    modules,
    timeout: positive('timeout', options.timeout, DEFAULT_TIMEOUT_MS),
    deadline: positive('deadline', options.deadline, DEFAULT_DEADLINE_MS),
    metering: flag('metering', options.metering, true),
    console: fn('console', options.console),
    onError: fn('onError', options.onError),
    onWarning: fn('onWarning', options.onWarning),
    policy: effective,
    policyFingerprint,
    name: options.name ?? nextSandboxName(),
    maxModuleBytes: positive('maxModuleBytes', options.maxModuleBytes, DEFAULT_MAX_MODULE_BYTES, 'bytes'),
    memoryLimitMb: options.memoryLimitMb === undefined ? undefined : positive('memoryLimitMb', options.memoryLimitMb, 0, 'megabytes'),
    importMeta,
    packages,
    nodeEnv: packages === undefined ? undefined : nodeEnvOf(options.nodeEnv),
    cacheDir: cacheDirOf(options.cacheDir),
  };
}

/**
 * Normalised options as they cross to a worker (worker and process isolation): everything but
 * the functions, the allow-list (encoded apart, its functions by reference) and the resolved
 * policy, which is rebuilt from the policy option it came from.
 */
export type PortableOptions = Omit<NormalizedOptions, 'modules' | 'console' | 'onError' | 'onWarning' | 'policy' | 'memoryLimitMb'> & {
  policy: SandboxOptions['policy'];
};

/** What only the worker's side has: the allow-list decoded there, its forwarding handlers, its heap cap. */
export type LocalOptions = Pick<NormalizedOptions, 'modules' | 'console' | 'onError' | 'onWarning' | 'memoryLimitMb'>;

/** @param policy the policy option `normalized` was made from. */
export function toPortable(normalized: NormalizedOptions, policy: SandboxOptions['policy']): PortableOptions {
  const { root, rootUrl, timeout, deadline, metering, policyFingerprint, name, maxModuleBytes, importMeta, packages, nodeEnv, cacheDir } =
    normalized;
  return {
    root,
    rootUrl,
    timeout,
    deadline,
    metering,
    policy,
    policyFingerprint,
    name,
    maxModuleBytes,
    importMeta,
    packages,
    nodeEnv,
    cacheDir,
  };
}

/**
 * The worker's copy of options the host normalised: checked there already, so only rebuilt, not
 * checked again (~40 µs of a worker sandbox's creation after an idle moment).
 * @param rootChecked the host found `root` to be a directory a moment ago; false for a pool's
 * sandbox, whose normalisation may be old: the root is looked up on disk again.
 */
export function fromPortable(portable: PortableOptions, local: LocalOptions, rootChecked: boolean): NormalizedOptions {
  const root = rootChecked ? portable.root : realDirectory(portable.root);
  const packages = portable.packages && { listed: portable.packages.listed, conditions: Object.freeze(portable.packages.conditions) };
  return {
    ...portable,
    ...local,
    root,
    rootUrl: rootChecked ? portable.rootUrl : rootUrlOf(root),
    policy: policyFor(portable.policy),
    packages,
  };
}

/** Root path → its `file:` URL with a trailing slash: a pure function, remembered (~15 µs a sandbox). */
const rootUrls = new Map<string, string>();

function rootUrlOf(root: string): string {
  let url = rootUrls.get(root);
  if (url === undefined) {
    url = pathToFileURL(root).href.replace(/\/?$/, '/');
    if (rootUrls.size < 100) rootUrls.set(root, url);
  }
  return url;
}

function realDirectory(rootPath: string): string {
  try {
    // The native call: one syscall, where the JS version lstat()s every component (~15 µs a sandbox).
    // With a trailing separator it fails on anything but a directory (ENOTDIR), which spares a stat
    // (~20 µs of a worker sandbox's creation on the host, after an idle moment); Windows keeps one.
    if (process.platform !== 'win32') return realpathSync.native(`${rootPath}/`);
    const root = realpathSync.native(rootPath);
    if (statSync(root).isDirectory()) return root;
  } catch {
    // Which one it is, for the message.
  }
  let found: Stats | undefined;
  try {
    found = statSync(rootPath, { throwIfNoEntry: false });
  } catch {
    found = undefined;
  }
  if (found !== undefined && !found.isDirectory()) throw new TypeError(`root: ${rootPath} is not a directory`);
  throw new TypeError(`root: ${rootPath} does not exist`);
}

function packageOptions(options: SandboxOptions): PackageOptions | undefined {
  const names = stringList('packages', options.packages);
  for (const name of names) {
    if (parseBare(name)?.subpath !== '.') throw new TypeError(`packages: "${name}" is not a package name`);
  }
  const conditions = options.conditions === undefined ? DEFAULT_CONDITIONS : stringList('conditions', options.conditions);
  return names.length === 0 ? undefined : { listed: new Set(names), conditions: Object.freeze([...conditions]) };
}

function cacheDirOf(value: SandboxOptions['cacheDir']): string | undefined {
  if (value === undefined || value === false) return undefined;
  if (value instanceof URL) return fileURLToPath(value);
  if (typeof value !== 'string' || value === '') throw new TypeError('cacheDir must be a directory path, a file: URL or false');
  return path.resolve(value.startsWith('file:') ? fileURLToPath(value) : value);
}

function stringList(name: string, value: readonly string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item === '')) {
    throw new TypeError(`${name} must be an array of non-empty strings`);
  }
  return value;
}

function nodeEnvOf(value: string | undefined): string {
  if (value === undefined) return 'production';
  if (typeof value !== 'string') throw new TypeError('nodeEnv must be a string');
  return value;
}

/** Resolved policies by their options: most sandboxes share one, and resolving builds dispatch tables. */
const policies = new Map<string, ResolvedPolicy>();

function policyFor(option: SandboxOptions['policy']): ResolvedPolicy {
  const key = option === false ? 'off' : JSON.stringify(option ?? {});
  let policy = policies.get(key);
  if (policy === undefined) {
    const base = resolvePolicy(option === false ? {} : option);
    policy = option === false ? resolvePolicy({ rules: Object.fromEntries(Object.keys(base.rules).map((id) => [id, 'off'])) }) : base;
    if (policies.size < 100) policies.set(key, policy);
  }
  return policy;
}

/** Rules serialised once per resolved policy; the allow-list's names are added per sandbox. */
const ruleTexts = new WeakMap<ResolvedPolicy, string>();

function fingerprint(policy: ResolvedPolicy, modules: Map<string, ModuleDefinition>): string {
  let rules = ruleTexts.get(policy);
  if (rules === undefined) {
    rules = JSON.stringify(policy.rules);
    ruleTexts.set(policy, rules);
  }
  return modules.size === 0 ? rules : `${rules}\n${JSON.stringify([...modules.keys()].sort())}`;
}

function importMetaProviders(option: SandboxOptions['importMeta'], modules: Map<string, ModuleDefinition>): Map<string, string> {
  const out = new Map<string, string>();
  if (option === undefined) return out;
  if (option === null || typeof option !== 'object')
    throw new TypeError('importMeta must be an object of property name → allow-listed specifier');
  for (const [name, specifier] of Object.entries(option)) {
    if (!/^[A-Za-z_$][\w$]*$/.test(name) || name === 'url' || name.startsWith('__esmSandbox')) {
      throw new TypeError(`importMeta: "${name}" cannot be an import.meta property name`);
    }
    if (typeof specifier !== 'string' || !modules.has(specifier)) {
      throw new TypeError(`importMeta.${name}: "${String(specifier)}" must be a specifier of the modules allow-list`);
    }
    out.set(name, specifier);
  }
  return out;
}

function positive(name: string, value: number | undefined, fallback: number, unit = 'milliseconds'): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0))
    throw new TypeError(`${name} must be a positive number of ${unit} (or Infinity), got ${String(value)}`);
  return value;
}

function flag(name: string, value: boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${String(value)}`);
  return value;
}

function fn<T>(name: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') throw new TypeError(`${name} must be a function`);
  return value;
}
