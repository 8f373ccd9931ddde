/**
 * `std:path`: POSIX path helpers for sandboxed code (configs join and resolve paths all the time).
 * It is source text compiled inside the sandbox's own realm, so every function and value it
 * exports belongs to the sandbox: nothing of the host is reachable through it, and a call costs
 * what a local call costs. `resolve()` starts from `/`, since a sandbox has no working directory.
 */
import { SourceModule } from '../link/allowed.js';

const PATH_SOURCE = String.raw`
const check = (name, value) => {
  if (typeof value !== 'string') throw new TypeError('std:path: "' + name + '" must be a string, got ' + typeof value);
};

// Resolves "." and ".." segments; keeps leading ".." of a relative path.
function normalizeSegments(path, absolute) {
  const out = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
    } else {
      out.push(segment);
    }
  }
  return out.join('/');
}

export const sep = '/';
export const delimiter = ':';

export function isAbsolute(path) {
  check('path', path);
  return path.startsWith('/');
}

export function normalize(path) {
  check('path', path);
  if (path === '') return '.';
  const absolute = path.startsWith('/');
  const trailing = path.endsWith('/');
  let out = normalizeSegments(path, absolute);
  if (out === '' && !absolute) out = '.';
  if (out !== '' && trailing) out += '/';
  return absolute ? '/' + out : out;
}

export function join(...parts) {
  parts.forEach((part, i) => check('paths[' + i + ']', part));
  const joined = parts.filter((part) => part !== '').join('/');
  return joined === '' ? '.' : normalize(joined);
}

export function resolve(...parts) {
  let resolved = '';
  for (let i = parts.length - 1; i >= 0 && !resolved.startsWith('/'); i--) {
    check('paths[' + i + ']', parts[i]);
    if (parts[i] !== '') resolved = resolved === '' ? parts[i] : parts[i] + '/' + resolved;
  }
  return '/' + normalizeSegments(resolved, true);
}

export function relative(from, to) {
  check('from', from);
  check('to', to);
  const a = resolve(from).split('/').filter(Boolean);
  const b = resolve(to).split('/').filter(Boolean);
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  return [...a.slice(common).map(() => '..'), ...b.slice(common)].join('/');
}

export function dirname(path) {
  check('path', path);
  if (path === '') return '.';
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const slash = trimmed.lastIndexOf('/');
  if (slash === -1) return '.';
  if (slash === 0) return '/';
  return trimmed.slice(0, slash).replace(/\/+$/, '') || '/';
}

export function basename(path, suffix) {
  check('path', path);
  if (suffix !== undefined) check('suffix', suffix);
  const trimmed = path.replace(/\/+$/, '');
  let base = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  if (suffix !== undefined && suffix !== base && base.endsWith(suffix)) base = base.slice(0, base.length - suffix.length);
  return base;
}

export function extname(path) {
  const base = basename(path);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot);
}

/** A file: URL (such as import.meta.url) as a path. */
export function fileURLToPath(url) {
  check('url', url);
  if (!url.startsWith('file://')) throw new TypeError('std:path: fileURLToPath expects a file: URL, got ' + url);
  const rest = url.slice('file://'.length);
  const path = rest.slice(rest.indexOf('/')).replace(/[?#].*$/, '');
  if (/%2f/i.test(path)) throw new TypeError('std:path: a file: URL path must not include an encoded "/"');
  return decodeURIComponent(path);
}

export default { sep, delimiter, isAbsolute, normalize, join, resolve, relative, dirname, basename, extname, fileURLToPath };
`;

/** The `std:path` module for an allow-list: `modules: { 'std:path': stdPath }`. */
export const stdPath = new SourceModule(PATH_SOURCE);
