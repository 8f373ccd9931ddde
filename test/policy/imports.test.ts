import { describe, expect, it } from 'vitest';
import { specifierKind } from '../../src/analyze/policy/index.js';
import { env, lint, positions } from './helpers.js';

describe('no-computed-import', () => {
  const rule = 'no-computed-import';

  it('reports the specifier expression', () => {
    const diagnostics = lint(rule, 'const name = "a";\nawait import(`./${name}.mjs`);\n');
    expect(positions(diagnostics)).toEqual([[2, 14]]);
    expect(diagnostics[0]).toMatchObject({ endLine: 2, endColumn: 29 });
  });

  it('accepts literals, substitution-free templates and literal concatenations', () => {
    expect(lint(rule, 'import("./a.mjs"); import(`./b.mjs`); import("./c" + ".mjs");')).toEqual([]);
  });

  it('is an error in recommended and in strict (issue 2: computed imports refused by default)', async () => {
    const { check } = await import('./helpers.js');
    expect(check('import(x);').map((d) => d.severity)).toEqual(['error']);
    expect(check('import(x);', { preset: 'strict' }).map((d) => d.severity)).toEqual(['error']);
  });
});

describe('no-disallowed-import', () => {
  const rule = 'no-disallowed-import';

  it('reports at the source string of each import form', () => {
    const source = [
      "import fs from 'fs';",
      "export { x } from 'node:os';",
      "export * from 'lodash';",
      "const v = import('node:vm');",
      "import 'side-effect';",
    ].join('\n');
    expect(positions(lint(rule, source))).toEqual([
      [1, 16],
      [2, 19],
      [3, 15],
      [4, 18],
      [5, 8],
    ]);
  });

  it('asks the environment about bare specifiers and URLs only', () => {
    const asked: string[] = [];
    const spy = { ...env, isAllowedSpecifier: (specifier: string) => (asked.push(specifier), specifier === 'lodash') };
    const diagnostics = lint(
      rule,
      "import a from './a.mjs'; import b from '/b.mjs'; import c from 'lodash'; import d from 'node:fs';",
      spy,
    );
    expect(asked).toEqual(['lodash', 'node:fs']);
    expect(diagnostics.map((d) => d.message)).toEqual([
      '"node:fs" is a URL outside the sandbox allow-list; only relative files under the root and allow-listed modules can be imported.',
    ]);
  });

  it('leaves computed specifiers to no-computed-import', () => {
    expect(lint(rule, 'import(name);')).toEqual([]);
  });
});

describe('specifierKind', () => {
  it.each([
    ['./a.mjs', 'relative'],
    ['../a.mjs', 'relative'],
    ['.', 'relative'],
    ['..', 'relative'],
    ['/srv/a.mjs', 'absolute-path'],
    ['//host/a.mjs', 'url'],
    ['node:fs', 'url'],
    ['file:///etc/passwd', 'url'],
    ['data:text/javascript,1', 'url'],
    ['https://x.test/a.mjs', 'url'],
    ['std:path', 'url'],
    ['fs', 'bare'],
    ['@scope/pkg', 'bare'],
    ['#internal', 'bare'],
    ['.hidden', 'bare'],
    ['', 'bare'],
  ])('%s is %s', (specifier, kind) => {
    expect(specifierKind(specifier)).toBe(kind);
  });
});

describe('no-unknown-import-meta', () => {
  const rule = 'no-unknown-import-meta';

  it('reports unknown properties at the property name, listing what is provided', () => {
    const diagnostics = lint(rule, 'const u = import.meta.url;\nconst e = import.meta.env;\n');
    expect(positions(diagnostics)).toEqual([[2, 23]]);
    expect(diagnostics[0]?.message).toBe('`import.meta.env` is not provided in this sandbox (provided: url).');
  });

  it('checks destructuring and says when nothing is provided', () => {
    const none = { ...env, importMetaProperties: [] };
    expect(lint(rule, 'const { url } = import.meta;', none)[0]?.message).toContain('(provided: none)');
    expect(lint(rule, 'const { url } = import.meta;')).toEqual([]);
  });

  it('allows passing import.meta around and dynamic keys', () => {
    expect(lint(rule, 'const m = import.meta; f(import.meta); import.meta[key];')).toEqual([]);
  });
});
