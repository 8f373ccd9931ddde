/**
 * What kind of thing an import specifier names, before any resolution. Only the allow-list
 * can grant bare names and URLs; paths are the resolver's business (inside `root` or not).
 */
import { isPathLike } from '../../resolve/paths.js';

export type SpecifierKind = 'relative' | 'absolute-path' | 'bare' | 'url';

const SCHEME = /^[a-z][a-z\d+.-]*:/i;

export function specifierKind(specifier: string): SpecifierKind {
  if (!isPathLike(specifier)) return SCHEME.test(specifier) ? 'url' : 'bare';
  // `//host/x` is a scheme-relative URL: against a file: parent it names another host's file.
  if (specifier.startsWith('//')) return 'url';
  return specifier.startsWith('/') ? 'absolute-path' : 'relative';
}
