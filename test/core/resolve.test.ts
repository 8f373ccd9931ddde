/**
 * Resolution: only files under `root` and allow-listed specifiers are importable. Every refusal
 * names the specifier, the importing file and the import's line:column, in both isolations, with
 * the default policy (which may refuse first, as a PolicyError) and with `policy: false` (so the
 * resolver itself is shown to hold).
 */
import { mkdtempSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ModuleNotAllowedError, PolicyError, ResolveError } from '../../src/index.js';
import { describeEach, fixtures, rejection } from '../helpers/sandbox.js';

const base = fixtures('resolve');
const root = new URL('root/', base);
const rootPath = realpathSync(fileURLToPath(root));

type Refusal = 'ModuleNotAllowedError' | 'ResolveError';

/** 1-based line and column of the quoted `specifier` in a fixture, computed from the file itself. */
function locate(file: string, specifier: string): { url: string; line: number; column: number } {
  const full = path.join(rootPath, file);
  const lines = readFileSync(full, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const at = lines[i]!.indexOf(`'${specifier}'`);
    if (at >= 0) return { url: pathToFileURL(full).href, line: i + 1, column: at + 1 };
  }
  throw new Error(`fixture ${file} does not contain '${specifier}'`);
}

/** The refusal is of the expected class and code, and names the specifier, the importing file and where. */
function expectRefusal(
  error: Error & Record<string, unknown>,
  kind: Refusal,
  specifier: string,
  at: { url: string; line: number; column: number },
  reason?: RegExp,
) {
  expect(error.name).toBe(kind);
  expect(error).toBeInstanceOf(kind === 'ResolveError' ? ResolveError : ModuleNotAllowedError);
  expect(error.code).toBe(kind === 'ResolveError' ? 'ERR_SANDBOX_RESOLVE' : 'ERR_SANDBOX_MODULE_NOT_ALLOWED');
  expect(error.specifier).toBe(specifier);
  expect(error.referrer).toBe(at.url);
  expect(error.url).toBe(at.url);
  expect(error.line).toBe(at.line);
  expect(error.column).toBe(at.column);
  expect(error.message).toContain(`"${specifier}"`);
  expect(error.message).toContain(`${at.url}:${at.line}:${at.column}`);
  if (reason) expect(error.message).toMatch(reason);
}

const OUTSIDE = /outside the sandbox root/;
const SEPARATOR = /encoded path separator/;
const SCHEME = /scheme is not allowed/;
const BARE = /allow-list/;

/** fixture file → the specifier it imports, what the resolver says, and whether the default policy speaks first. */
const STATIC_CASES: Array<[file: string, specifier: string, kind: Refusal, reason: RegExp, policyFirst: boolean]> = [
  ['static/dotdot.mjs', '../../outside.mjs', 'ResolveError', OUTSIDE, false],
  ['static/dotdot-middle.mjs', '../lib/../../outside.mjs', 'ResolveError', OUTSIDE, false],
  ['static/pct-dots.mjs', './%2e%2e/%2e%2e/outside.mjs', 'ResolveError', OUTSIDE, false],
  ['static/pct-slash.mjs', './..%2F..%2Foutside.mjs', 'ResolveError', SEPARATOR, false],
  ['static/pct-slash-inside.mjs', '../lib%2Fok.mjs', 'ResolveError', SEPARATOR, false],
  ['static/absolute.mjs', '/etc/passwd', 'ResolveError', OUTSIDE, false],
  ['static/query.mjs', '../lib/ok.mjs?x=1', 'ResolveError', /query strings/, false],
  ['static/node-fs.mjs', 'node:fs', 'ModuleNotAllowedError', SCHEME, true],
  ['static/fs.mjs', 'fs', 'ModuleNotAllowedError', BARE, true],
  ['static/file-url.mjs', 'file:///etc/passwd', 'ModuleNotAllowedError', SCHEME, true],
  ['static/data-url.mjs', 'data:text/javascript,export default globalThis', 'ModuleNotAllowedError', SCHEME, true],
  ['static/http-url.mjs', 'http://127.0.0.1:9/x.mjs', 'ModuleNotAllowedError', SCHEME, true],
  ['static/bare.mjs', 'lodash', 'ModuleNotAllowedError', BARE, true],
  ['static/reexport.mjs', 'node:fs', 'ModuleNotAllowedError', SCHEME, true],
];

describeEach('resolution', ({ make }) => {
  it('imports files inside the root, also through `..` that stays inside', async () => {
    const sandbox = make({ root });
    const ns = await sandbox.import('./main.mjs');
    expect(ns.default).toEqual(['ok', 'ok']);
  });

  it('imports a file whose name starts with two dots: only a `..` segment leaves the root', async () => {
    const sandbox = make({ root, policy: false });
    expect((await sandbox.import('./dots.mjs')).default).toBe('dots');
    expect((await sandbox.import('./..dots.mjs')).default).toBe('dots');
  });

  it('imports an absolute path inside the root, from the host and from a module', async () => {
    const sandbox = make({ root, policy: false });
    const file = path.join(rootPath, 'lib', 'ok.mjs');
    expect((await sandbox.import(file)).default).toBe('ok');
    const ns = await sandbox.evaluate(`import ok from ${JSON.stringify(file)}; export default ok;`, { filename: 'abs-inside.mjs' });
    expect(ns.default).toBe('ok');
  });

  it.each(STATIC_CASES)('refuses %s (%s) with policy off: the resolver holds', async (file, specifier, kind, reason) => {
    const sandbox = make({ root, policy: false });
    const error = await rejection(sandbox.import(`./${file}`));
    expectRefusal(error, kind, specifier, locate(file, specifier), reason);
  });

  it.each(STATIC_CASES)('refuses %s (%s) with the default policy', async (file, specifier, kind, reason, policyFirst) => {
    const sandbox = make({ root });
    const error = await rejection(sandbox.import(`./${file}`));
    const at = locate(file, specifier);
    if (!policyFirst) {
      expectRefusal(error, kind, specifier, at, reason);
      return;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect(error.code).toBe('ERR_SANDBOX_POLICY');
    expect(error.url).toBe(at.url);
    expect(error.line).toBe(at.line);
    expect(error.column).toBe(at.column);
    expect(error.message).toContain(specifier);
    const diagnostics = error.diagnostics as Array<{ ruleId: string; file: string; line: number; column: number }>;
    expect(diagnostics).toContainEqual(
      expect.objectContaining({ ruleId: 'no-disallowed-import', file: at.url, line: at.line, column: at.column }),
    );
  });

  it('names the importing file one level down, not the entry', async () => {
    const sandbox = make({ root, policy: false });
    const error = await rejection(sandbox.import('./static/nested.mjs'));
    expectRefusal(error, 'ModuleNotAllowedError', 'node:fs', locate('static/inner/uses-fs.mjs', 'node:fs'), SCHEME);
  });

  it('refuses entry specifiers from the host that leave the root or name builtins', async () => {
    const sandbox = make({ root, policy: false });
    for (const specifier of ['../outside.mjs', './%2e%2e/outside.mjs', '/etc/passwd', fileURLToPath(new URL('outside.mjs', base))]) {
      const error = await rejection(sandbox.import(specifier));
      expect(error).toBeInstanceOf(ResolveError);
      expect(error.specifier).toBe(specifier);
      expect(error.message).toMatch(OUTSIDE);
    }
    for (const specifier of ['node:fs', 'fs', 'file:///etc/passwd', 'data:text/javascript,export default 1', 'http://127.0.0.1:9/x.mjs']) {
      const error = await rejection(sandbox.import(specifier));
      expect(error).toBeInstanceOf(ModuleNotAllowedError);
      expect(error.specifier).toBe(specifier);
    }
  });

  it('allows a bare specifier only when `modules` names it exactly', async () => {
    const sandbox = make({ root, policy: false, modules: { lodash: { default: 'allow-listed' } } });
    expect((await sandbox.import('./static/bare.mjs')).default).toBe('allow-listed');
    const error = await rejection(sandbox.import('./static/fs.mjs'));
    expectRefusal(error, 'ModuleNotAllowedError', 'fs', locate('static/fs.mjs', 'fs'), BARE);
  });

  it('refuses literal import() the same way, naming file and line:column', async () => {
    const sandbox = make({ root, policy: false });
    const ns = await sandbox.import('./dynamic/literal.mjs');
    const call = (name: string) => (ns[name] as () => Promise<unknown>)();
    const cases: Array<[string, string, Refusal, RegExp]> = [
      ['nodeFs', 'node:fs', 'ModuleNotAllowedError', SCHEME],
      ['dotdot', '../../outside.mjs', 'ResolveError', OUTSIDE],
      ['dataUrl', 'data:text/javascript,export default 1', 'ModuleNotAllowedError', SCHEME],
      ['pctDots', './%2e%2e/%2e%2e/outside.mjs', 'ResolveError', OUTSIDE],
    ];
    for (const [name, specifier, kind, reason] of cases) {
      expectRefusal(await rejection(call(name)), kind, specifier, locate('dynamic/literal.mjs', specifier), reason);
    }
    expect(await call('ok')).toEqual({ default: 'ok' });
  });

  it('refuses literal import() at load time with the default policy', async () => {
    const sandbox = make({ root });
    const error = await rejection(sandbox.import('./dynamic/literal.mjs'));
    expect(error).toBeInstanceOf(PolicyError);
    const rules = (error.diagnostics as Array<{ ruleId: string; line: number }>).map((d) => `${d.ruleId}@${d.line}`);
    expect(rules).toEqual(expect.arrayContaining(['no-disallowed-import@2', 'no-disallowed-import@4']));
  });

  it('refuses computed import() (policy off): the error names the line:column of the import() call', async () => {
    const sandbox = make({ root, policy: false });
    const ns = await sandbox.import('./dynamic/computed.mjs');
    const load = ns.load as (specifier: string) => Promise<unknown>;
    const url = pathToFileURL(path.join(rootPath, 'dynamic/computed.mjs')).href;
    const at = { url, line: 3, column: 10 };
    expectRefusal(await rejection(load('node:fs')), 'ModuleNotAllowedError', 'node:fs', at, SCHEME);
    expectRefusal(await rejection(load('fs')), 'ModuleNotAllowedError', 'fs', at, BARE);
    expectRefusal(await rejection(load('file:///etc/passwd')), 'ModuleNotAllowedError', 'file:///etc/passwd', at, SCHEME);
    expectRefusal(await rejection(load('../../outside.mjs')), 'ResolveError', '../../outside.mjs', at, OUTSIDE);
    expectRefusal(await rejection(load('./..%2F..%2Foutside.mjs')), 'ResolveError', './..%2F..%2Foutside.mjs', at, SEPARATOR);
    expect(await load('../lib/ok.mjs')).toEqual({ default: 'ok' });
  });

  it('refuses computed import() at load time with the default policy', async () => {
    const sandbox = make({ root });
    const error = await rejection(sandbox.import('./dynamic/computed.mjs'));
    expect(error).toBeInstanceOf(PolicyError);
    const rules = (error.diagnostics as Array<{ ruleId: string; line: number; severity: string }>).map(
      (d) => `${d.ruleId}@${d.line}:${d.severity}`,
    );
    expect(rules).toEqual(expect.arrayContaining(['no-computed-import@3:error', 'no-computed-import@9:error']));
  });

  it('gives sandbox code an error of its own realm, with the code and the location, when import() is refused', async () => {
    const sandbox = make({ root, policy: false });
    const ns = await sandbox.import('./dynamic/computed.mjs');
    const attempt = ns.attempt as (specifier: string) => Promise<Record<string, unknown>>;
    const url = pathToFileURL(path.join(rootPath, 'dynamic/computed.mjs')).href;
    for (const [specifier, name, code] of [
      ['node:fs', 'ModuleNotAllowedError', 'ERR_SANDBOX_MODULE_NOT_ALLOWED'],
      ['data:text/javascript,export default globalThis', 'ModuleNotAllowedError', 'ERR_SANDBOX_MODULE_NOT_ALLOWED'],
      ['http://127.0.0.1:9/x.mjs', 'ModuleNotAllowedError', 'ERR_SANDBOX_MODULE_NOT_ALLOWED'],
      ['../../outside.mjs', 'ResolveError', 'ERR_SANDBOX_RESOLVE'],
    ] as const) {
      const seen = await attempt(specifier);
      expect(seen).toMatchObject({ loaded: false, name, code, ownRealm: true, ctorIsOwn: true });
      expect(seen.message).toContain(`"${specifier}"`);
      expect(seen.message).toContain(`${url}:9:`);
    }
  });
});

// Symlinks are made at test time in a temp dir: git fixtures should not carry links out of the tree.
let tmp: string;
let linkRoot: string;
beforeAll(() => {
  tmp = realpathSync(mkdtempSync(path.join(tmpdir(), 'esm-sandbox-resolve-')));
  linkRoot = path.join(tmp, 'root');
  mkdirSync(path.join(linkRoot, 'sub'), { recursive: true });
  mkdirSync(path.join(tmp, 'secret-dir'));
  writeFileSync(path.join(tmp, 'secret.mjs'), "export default 'SECRET';\n");
  writeFileSync(path.join(tmp, 'secret-dir', 'x.mjs'), "export default 'SECRET-DIR';\n");
  writeFileSync(path.join(linkRoot, 'sub', 'real.mjs'), "export default 'inside';\n");
  symlinkSync(path.join(tmp, 'secret.mjs'), path.join(linkRoot, 'file-link.mjs'));
  symlinkSync(path.join(tmp, 'secret-dir'), path.join(linkRoot, 'dir-link'));
  symlinkSync(path.join(linkRoot, 'sub', 'real.mjs'), path.join(linkRoot, 'inner-link.mjs'));
  writeFileSync(path.join(linkRoot, 'via-file-link.mjs'), "\nimport s from './file-link.mjs';\nexport default s;\n");
  writeFileSync(path.join(linkRoot, 'via-dir-link.mjs'), "import s from './dir-link/x.mjs';\nexport default s;\n");
  writeFileSync(path.join(linkRoot, 'via-inner-link.mjs'), "import s from './inner-link.mjs';\nexport default s;\n");
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describeEach('resolution through symbolic links', ({ make }) => {
  it('refuses a file symlink inside the root that points outside (import site named)', async () => {
    for (const policy of [undefined, false] as const) {
      const sandbox = make({ root: linkRoot, policy });
      const error = await rejection(sandbox.import('./via-file-link.mjs'));
      expectRefusal(
        error,
        'ResolveError',
        './file-link.mjs',
        { url: pathToFileURL(path.join(linkRoot, 'via-file-link.mjs')).href, line: 2, column: 15 },
        /symbolic link that points outside/,
      );
    }
  });

  it('refuses a directory symlink inside the root that points outside', async () => {
    const sandbox = make({ root: linkRoot, policy: false });
    const error = await rejection(sandbox.import('./via-dir-link.mjs'));
    expectRefusal(
      error,
      'ResolveError',
      './dir-link/x.mjs',
      { url: pathToFileURL(path.join(linkRoot, 'via-dir-link.mjs')).href, line: 1, column: 15 },
      /symbolic link that points outside/,
    );
    expect(await rejection(sandbox.import('./file-link.mjs'))).toBeInstanceOf(ResolveError);
  });

  it('follows a symlink that stays inside the root', async () => {
    const sandbox = make({ root: linkRoot, policy: false });
    expect((await sandbox.import('./via-inner-link.mjs')).default).toBe('inside');
  });
});
