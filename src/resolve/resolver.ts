/**
 * Specifier → what it names: an allow-listed module, a file confined to `root`, or a file of an
 * npm package confined to that package's directory (packages.ts). `node:`, `file:`, `data:`,
 * `http:` and the rest are refused unless the allow-list names them exactly; bare names unless
 * the allow-list or `packages` grants them; paths are checked lexically and again after symlinks.
 */
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ModuleNotAllowedError, ResolveError, type SourceLocation } from '../errors/errors.js';
import { PackageRefusal, packageScope, probeCommonJS, type PackageFile, type Packages, type ResolveKind } from './packages.js';
import { isInside, isPathLike } from './paths.js';

export { isInside } from './paths.js';

export type Resolution =
  | { kind: 'allowed'; key: string; specifier: string }
  | {
      kind: 'file';
      key: string;
      url: string;
      path: string;
      /** The real directory of the package the file belongs to, which confines it; absent for sandbox code (confined to `root`). */
      scope?: string;
    };

export interface ResolverOptions {
  /** Real path of the sandbox root directory (symlinks already resolved). */
  root: string;
  /** True when `modules` (the allow-list) has this exact specifier. */
  isAllowed(specifier: string): boolean;
  /** The npm packages sandbox code may import (SandboxOptions.packages); without it, bare names need the allow-list. */
  packages?: Packages;
}

/** The key an allow-listed specifier has in a module graph. */
export const allowedKey = (specifier: string) => `allowed:${specifier}`;

/** The package directory confining the module at `referrer` (a `file:` URL), or undefined for sandbox code. */
export function scopeOfReferrer(referrer: string, root: string): string | undefined {
  if (!referrer.startsWith('file:')) return undefined;
  // The common case, sandbox code far from any node_modules, without fileURLToPath (~7 µs a call).
  if (!referrer.includes('node_modules') && !referrer.includes('%')) return undefined;
  try {
    return packageScope(fileURLToPath(referrer), root);
  } catch {
    return undefined;
  }
}

/**
 * @param referrer URL of the importing module (a `file:` URL under root), or the root itself for entries
 * @param where the import's location in the referrer, for the error message
 * @param kind `require` for a CommonJS `require()` (see ResolveKind)
 */
export async function resolveSpecifier(
  specifier: string,
  referrer: string,
  options: ResolverOptions,
  where: SourceLocation = {},
  kind: ResolveKind = 'import',
): Promise<Resolution> {
  return resolveNow(specifier, referrer, options, where, kind);
}

/** resolveSpecifier, synchronously: what a CommonJS `require()` needs inside a turn. */
export function resolveNow(
  specifier: string,
  referrer: string,
  options: ResolverOptions,
  where: SourceLocation = {},
  kind: ResolveKind = 'import',
): Resolution {
  if (options.isAllowed(specifier)) return { kind: 'allowed', key: allowedKey(specifier), specifier };
  if (!isPathLike(specifier)) {
    const scheme = /^[a-z][a-z0-9+.-]*:/i.test(specifier);
    if (scheme || options.packages === undefined) {
      const reason = scheme
        ? `the "${specifier.slice(0, specifier.indexOf(':') + 1)}" scheme is not allowed; only files under the sandbox root and allow-listed modules can be imported`
        : 'bare specifiers must be in the allow-list (`modules`) or name a package of `packages`';
      throw new ModuleNotAllowedError(specifier, referrer, where, reason);
    }
    return resolvePackage(specifier, referrer, options, options.packages, where, kind);
  }
  const fail = (reason: string) => new ResolveError(specifier, referrer, reason, where);
  let url: URL;
  try {
    url = specifier.startsWith('/') ? pathToFileURL(specifier) : new URL(specifier, referrer);
  } catch {
    throw fail('it is not a valid path');
  }
  if (url.protocol !== 'file:') throw fail('it does not name a file');
  if (url.search || url.hash) throw fail('query strings and fragments are not supported');
  let file: string;
  try {
    file = fileURLToPath(url);
  } catch {
    throw fail('it contains an encoded path separator');
  }
  // Probed candidates lie below `file`: the lexical checks below hold for them too.
  if (kind === 'require') file = probeCommonJS(file) ?? file;
  const scope = scopeOfReferrer(referrer, options.root);
  if (scope !== undefined) {
    if (!isInside(scope, file)) throw fail(`it is outside its package's directory ${scope}`);
    return confined(file, scope, scope, fail, `it is a symbolic link that points outside its package's directory ${scope}`);
  }
  if (!isInside(options.root, file)) throw fail(`it is outside the sandbox root ${options.root}`);
  return confined(file, options.root, undefined, fail, 'it is a symbolic link that points outside the sandbox root');
}

function resolvePackage(
  specifier: string,
  referrer: string,
  options: ResolverOptions,
  packages: Packages,
  where: SourceLocation,
  kind: ResolveKind,
): Resolution {
  const scope = scopeOfReferrer(referrer, options.root);
  let from = scope;
  if (from === undefined) {
    // Sandbox code looks from its own directory; an entry's referrer is the root itself (a URL ending in `/`).
    const referrerPath = referrer.startsWith('file:') ? fileURLToPath(referrer) : options.root;
    from = referrer.endsWith('/') ? referrerPath : path.dirname(referrerPath);
  }
  let target: PackageFile;
  try {
    target = packages.resolve(specifier, from, scope, kind);
  } catch (error) {
    if (!(error instanceof PackageRefusal)) throw error;
    if (error.kind === 'not-allowed') throw new ModuleNotAllowedError(specifier, referrer, where, error.reason);
    throw new ResolveError(specifier, referrer, error.reason, where);
  }
  const fail = (reason: string) => new ResolveError(specifier, referrer, reason, where);
  return confined(
    target.file,
    target.dir,
    target.dir,
    fail,
    `it is a symbolic link that points outside package "${target.name}" (${target.dir})`,
  );
}

/** The real file behind `file`, which must stay inside `within` (its package's directory, `scope`, or the root) and be a regular file. */
function confined(
  file: string,
  within: string,
  scope: string | undefined,
  fail: (reason: string) => ResolveError,
  escaped: string,
): Resolution {
  let real: string;
  try {
    // Synchronous, as in Node's own resolver: two thread-pool round trips per import, awaited
    // level by level down an import chain, cost more than the whole load (see load/source.ts).
    real = realpathSync.native(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw fail(code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file' : `it cannot be read (${code ?? 'error'})`);
  }
  if (!isInside(within, real)) throw fail(escaped);
  const info = statSync(real);
  if (info.isDirectory()) throw fail('it is a directory; import a file (ES modules do not resolve index files)');
  if (!info.isFile()) throw fail('it is not a regular file');
  const realUrl = pathToFileURL(real).href;
  return scope === undefined
    ? { kind: 'file', key: realUrl, url: realUrl, path: real }
    : { kind: 'file', key: realUrl, url: realUrl, path: real, scope };
}
