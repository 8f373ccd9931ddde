/**
 * Specifier → what it names: an allow-listed module, or a file confined to `root`.
 * Bare specifiers, `node:`, `file:`, `data:`, `http:` and the rest are refused unless the
 * allow-list names them exactly; paths are checked lexically and again after symlinks.
 */
import { realpathSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ModuleNotAllowedError, ResolveError, type SourceLocation } from '../errors/errors.js';
import { isInside, isPathLike } from './paths.js';

export { isInside } from './paths.js';

export type Resolution =
  | { kind: 'allowed'; key: string; specifier: string }
  | { kind: 'file'; key: string; url: string; path: string };

export interface ResolverOptions {
  /** Real path of the sandbox root directory (symlinks already resolved). */
  root: string;
  /** True when `modules` (the allow-list) has this exact specifier. */
  isAllowed(specifier: string): boolean;
}

/** The key an allow-listed specifier has in a module graph. */
export const allowedKey = (specifier: string) => `allowed:${specifier}`;

/**
 * @param referrer URL of the importing module (a `file:` URL under root), or the root itself for entries
 * @param where the import's location in the referrer, for the error message
 */
export async function resolveSpecifier(specifier: string, referrer: string, options: ResolverOptions, where: SourceLocation = {}): Promise<Resolution> {
  if (options.isAllowed(specifier)) return { kind: 'allowed', key: allowedKey(specifier), specifier };
  if (!isPathLike(specifier)) {
    const reason = /^[a-z][a-z0-9+.-]*:/i.test(specifier)
      ? `the "${specifier.slice(0, specifier.indexOf(':') + 1)}" scheme is not allowed; only files under the sandbox root and allow-listed modules can be imported`
      : 'bare specifiers must be in the allow-list (`modules`)';
    throw new ModuleNotAllowedError(specifier, referrer, where, reason);
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
  if (!isInside(options.root, file)) throw fail(`it is outside the sandbox root ${options.root}`);
  let real: string;
  try {
    // Synchronous, as in Node's own resolver: two thread-pool round trips per import, awaited
    // level by level down an import chain, cost more than the whole load (see load/source.ts).
    real = realpathSync.native(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw fail(code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file' : `it cannot be read (${code ?? 'error'})`);
  }
  if (!isInside(options.root, real)) throw fail('it is a symbolic link that points outside the sandbox root');
  const info = statSync(real);
  if (info.isDirectory()) throw fail('it is a directory; import a file (ES modules do not resolve index files)');
  if (!info.isFile()) throw fail('it is not a regular file');
  const realUrl = pathToFileURL(real).href;
  return { kind: 'file', key: realUrl, url: realUrl, path: real };
}
