/**
 * The two questions every part of esm-sandbox asks about paths, answered once: is a specifier a
 * path (the resolver's business) rather than a name only the allow-list can grant, and is a file
 * inside the root. Pure string work on `node:path`: the CLI, the config loader and `check` use it
 * without loading the resolver.
 */
import path from 'node:path';

/** `./x`, `../x`, `/x`, `.` and `..`: specifiers that name a file, not an allow-listed module. */
export const isPathLike = (specifier: string): boolean =>
  specifier.startsWith('./') || specifier.startsWith('../') || specifier.startsWith('/') || specifier === '.' || specifier === '..';

/**
 * Lexical containment: `file` is `root` or below it. Only a `..` segment leaves the root: a file
 * whose own name starts with two dots (`..config.mjs`) is inside.
 */
export function isInside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  if (relative === '') return true;
  return relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

/** `file` as an entry specifier relative to `root` (`./a/b.mjs`, `/` separators), or undefined when it is outside. */
export function specifierUnder(root: string, file: string): string | undefined {
  if (!isInside(root, file)) return undefined;
  return `./${path.relative(root, file).split(path.sep).join('/')}`;
}
