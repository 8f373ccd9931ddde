/**
 * The one answer to "is this a path?" and "is this file inside the root?" that the resolver, the
 * CLI, `check`, `loadConfig` and the allow-list share (src/resolve/paths.ts).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allowList } from '../../src/link/allowed.js';
import { isInside, isPathLike, specifierUnder } from '../../src/resolve/paths.js';

const root = path.resolve('/srv/app');

describe('isInside', () => {
  it('accepts the root, files below it, and names that merely start with two dots', () => {
    for (const file of ['', 'a.mjs', 'lib/a.mjs', '..dots.mjs', '...mjs', 'lib/..x/y.mjs']) {
      expect(isInside(root, path.join(root, file))).toBe(true);
    }
  });

  it('refuses the parent, siblings that share a prefix, and anything through a `..` segment', () => {
    for (const file of [path.dirname(root), `${root}x/a.mjs`, path.join(root, '../a.mjs'), path.resolve('/etc/passwd')]) {
      expect(isInside(root, file)).toBe(false);
    }
  });
});

describe('specifierUnder', () => {
  it('is the entry specifier of a file inside, with / separators', () => {
    expect(specifierUnder(root, path.join(root, 'lib', 'a.mjs'))).toBe('./lib/a.mjs');
    expect(specifierUnder(root, path.join(root, '..dots.mjs'))).toBe('./..dots.mjs');
  });

  it('is undefined for a file outside', () => {
    expect(specifierUnder(root, path.join(root, '../a.mjs'))).toBeUndefined();
    expect(specifierUnder(root, `${root}-other/a.mjs`)).toBeUndefined();
  });
});

describe('isPathLike', () => {
  it('is true for relative and absolute paths, `.` and `..`', () => {
    for (const specifier of ['./a.mjs', '../a.mjs', '/a.mjs', '//host/a.mjs', '.', '..']) expect(isPathLike(specifier)).toBe(true);
  });

  it('is false for bare names, URLs and names that start with dots', () => {
    for (const specifier of ['lodash', 'app:api', 'node:fs', 'file:///a.mjs', '..dots.mjs', '.hidden', ''])
      expect(isPathLike(specifier)).toBe(false);
  });

  it('is what the allow-list refuses as a key', () => {
    for (const specifier of ['./a.mjs', '../a.mjs', '/a.mjs', '.', '..']) {
      expect(() => allowList({ [specifier]: {} })).toThrow(/looks like a path/);
    }
    expect(allowList({ 'app:api': {}, '..dots': {} }).size).toBe(2);
  });
});
