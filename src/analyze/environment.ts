/**
 * What the policy is told about the sandbox a module runs in, per module: sandbox code may import
 * the allow-list and the listed packages; a package's code also what its `package.json` declares
 * (resolve/packages.ts). The same answers the resolver gives, so the policy reports early what a
 * load would refuse, and no more.
 */
import { scopeOfReferrer, type ResolverOptions } from '../resolve/resolver.js';
import type { ModuleFormat } from './analyze.js';
import type { PolicyEnvironment } from './policy/types.js';

/** What Node's CommonJS wrapper passes to a file: the realm's own values in the sandbox (run/realm-source/commonjs.ts). */
const COMMONJS_NAMES = ['module', 'exports', 'require', '__filename', '__dirname'];

/** The environment of sandbox code (modules outside any package). */
export function sandboxEnvironment(resolver: ResolverOptions, importMetaProperties: readonly string[]): PolicyEnvironment {
  const { packages, isAllowed } = resolver;
  return {
    isAllowedSpecifier: packages === undefined ? isAllowed : (s) => isAllowed(s) || packages.mayImport(s, undefined),
    importMetaProperties,
    // The realm's process shim and global detection exist exactly when packages do
    // (run/realm-source/process-shim.ts, global-detection.ts).
    sandboxGlobals: packages === undefined ? [] : ['process', 'global', 'self'],
    globalDetection: packages !== undefined,
  };
}

/**
 * `base` for sandbox code; for a module of a package, one that also grants the package's
 * dependencies, and for a CommonJS file, the wrapper's names and its `require()` calls to check.
 */
export function environmentFor(
  base: PolicyEnvironment,
  resolver: ResolverOptions,
  url: string,
  format: ModuleFormat = 'module',
): PolicyEnvironment {
  const { packages } = resolver;
  const scope = packages === undefined ? undefined : scopeOfReferrer(url, resolver.root);
  if (packages === undefined || scope === undefined) return base;
  const env: PolicyEnvironment = { ...base, isAllowedSpecifier: (s) => resolver.isAllowed(s) || packages.mayImport(s, scope) };
  if (format === 'commonjs') {
    env.sandboxGlobals = [...(base.sandboxGlobals ?? []), ...COMMONJS_NAMES];
    env.commonjs = true;
  }
  return env;
}

/**
 * What environmentFor adds to a sandbox's policy fingerprint for the file at `url`: nothing for
 * sandbox code, else the package's grants (its name and declared dependencies). Whether a file is
 * a package's depends on the root too (a root inside a package makes its files sandbox code), so
 * the same URL under another root, or after its package.json changed, is another key.
 */
export function environmentKey(resolver: ResolverOptions, url: string): string {
  const { packages } = resolver;
  const scope = packages === undefined ? undefined : scopeOfReferrer(url, resolver.root);
  return packages === undefined || scope === undefined ? '' : `\npackage:${packages.grantsOf(scope)}`;
}
