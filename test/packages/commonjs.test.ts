/**
 * CommonJS packages inside the sandbox (fixtures/packages/commonjs/node_modules): each file runs as
 * a function compiled in the sandbox's realm, behind an ES module facade; `require()` is the
 * realm's, resolved by the host exactly like imports (same resolver, confinement, allow-list,
 * declared dependencies, with the `require` conditions). Refusals name the module and the requiring
 * file; attacks fail and leave the host unchanged and alive; loops are stopped by `timeout`, in
 * every isolation.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolvePolicy } from '../../src/analyze/policy/engine.js';
import { checkGraph } from '../../src/load/check-graph.js';
import { Packages } from '../../src/resolve/packages.js';
import { ModuleNotAllowedError, PolicyError, ResolveError, SandboxError, TimeoutError } from '../../src/index.js';
import { guardHost } from '../helpers/host.js';
import { describeEach, fixtures, rejection } from '../helpers/sandbox.js';

const root = fixtures('packages/commonjs');
const file = (path: string) => new URL(`node_modules/${path}`, root).href;

describeEach('CommonJS packages', ({ make }) => {
  it('runs a package: requires without extensions, JSON, a declared dependency, the require condition, a cycle, the wrapper', async () => {
    const sandbox = make({ root, packages: ['cjs-basic'] });
    const ns = await sandbox.evaluate(
      "import basic, { greet, version, dep, dual, cycle, paths, wrapper, cached, lateName } from 'cjs-basic';\n" +
        "export const all = [greet('you'), version, dep, dual, cycle, paths, wrapper, cached, lateName, basic.version];",
    );
    expect(ns.all).toEqual([
      'HELLO YOU!',
      '1.2.3',
      'cjs-dep',
      // The dual package's `require` condition, though the sandbox's `conditions` are the import ones.
      'require',
      // b required a while a was running: it saw a's exports so far, as Node gives them.
      ['a', 'b', ['a', false]],
      [true, true],
      ['object', 'object', 'function', true, true, false],
      true,
      'assigned after the lexer saw it',
      '1.2.3',
    ]);
  });

  it('import() in a CommonJS file loads through the same resolver, with the import conditions', async () => {
    const sandbox = make({ root, packages: ['cjs-basic'], policy: false });
    const { load, refused } = await sandbox.import<{ load(): Promise<unknown>; refused(): Promise<unknown> }>('cjs-basic/dynamic.js');
    expect(await load()).toEqual(['cjs-dep', 'cjs-dep']);
    expect(await refused()).toEqual([true, 'ModuleNotAllowedError']);
  });

  it("the format is Node's: the nearest package.json's type, else detected from the syntax", async () => {
    const sandbox = make({ root, packages: ['cjs-basic', 'cjs-dep'] });
    expect(Object.keys(await sandbox.import('cjs-basic/nested/plain.js'))).toEqual([]);
    expect(Object.keys(await sandbox.import('cjs-basic/plain.js'))).toEqual(['default']);
    const error = await rejection(sandbox.import('cjs-dep/esm-syntax.js'));
    expect(error.name).toBe('SandboxSyntaxError');
    expect([error.url, error.line]).toEqual([file('cjs-dep/esm-syntax.js'), 1]);
  });

  it("'use strict' holds, for a file and for a function, metered or not", async () => {
    for (const metering of [true, false]) {
      const sandbox = make({ root, packages: ['cjs-basic'], metering });
      expect([(await sandbox.import('cjs-basic/strict.js')).modes, (await sandbox.import('cjs-basic/sloppy.js')).modes]).toEqual([
        [true],
        [true, true],
      ]);
    }
  });

  it('a specifier folded from literals is loaded ahead, as the policy reads it', async () => {
    const sandbox = make({ root, packages: ['cjs-basic'] });
    expect((await sandbox.import('cjs-basic/folded.js')).default).toBe('FOLDED!');
  });

  it('an ES module importing a dual package gets its import condition', async () => {
    const sandbox = make({ root, packages: ['cjs-dual'] });
    expect((await sandbox.import('cjs-dual')).which).toBe('import');
  });

  it('named exports: lexed, and followed through `module.exports = require()` and `__exportStar`', async () => {
    const sandbox = make({ root, packages: ['cjs-reexport'] });
    const direct = await sandbox.import('cjs-reexport');
    expect(Object.keys(direct).sort()).toEqual(['alpha', 'beta', 'default', 'gamma']);
    expect([direct.alpha, direct.gamma]).toEqual(['alpha', 'gamma']);
    // Its module.exports holds getters (TypeScript's __createBinding): look at it from inside.
    const star = await sandbox.evaluate(
      "import * as star from 'cjs-reexport/star';\nexport const keys = Object.keys(star).sort(), values = [star.own, star.beta, star.default.alpha];",
    );
    expect(star.keys).toEqual(['__esModule', 'alpha', 'beta', 'default', 'gamma', 'own']);
    expect(star.values).toEqual(['own', 'beta', 'alpha']);
    // Any string names an export, except one that is not well-formed Unicode (the lexer leaves it to `default`).
    const odd = await sandbox.import('cjs-reexport/odd-names');
    expect(Object.keys(odd).sort()).toEqual(['default', 'kebab-name', 'plain']);
  });

  it('a throw while loading is a SandboxError at its file, line and column', async () => {
    const sandbox = make({ root, packages: ['cjs-throws'] });
    const error = await rejection<SandboxError>(sandbox.import('cjs-throws/at-load.js'));
    expect(error).toBeInstanceOf(SandboxError);
    expect(error.sandboxName).toBe('RangeError');
    expect([error.url, error.line, error.column]).toEqual([file('cjs-throws/at-load.js'), 3, 9]);
    expect(error.frame).toContain("throw new RangeError('thrown while loading');");
  });

  it('a throw in an exported function is located in the CommonJS file', async () => {
    const sandbox = make({ root, packages: ['cjs-throws'] });
    const { fail } = await sandbox.import<{ fail(reason: string): Promise<never> }>('cjs-throws');
    const error = await rejection<SandboxError>(fail('no'));
    expect(error.sandboxName).toBe('TypeError');
    expect(error.message).toContain('failed: no');
    expect([error.url, error.line, error.column]).toEqual([file('cjs-throws/index.js'), 2, 9]);
    expect(error.stack).toContain(`at fail (${file('cjs-throws/index.js')}:2:9)`);
  });
});

describeEach('CommonJS confinement', (kit) => {
  const { make } = kit;
  const host = guardHost(kit);
  const escape = (options = {}) => make(host.observe({ root, packages: ['cjs-escape'], policy: false, ...options }));

  it('a declared dependency is required', async () => {
    expect(host.seen((await escape().import('cjs-escape/declared.js')).default)).toBe('cjs-dep');
  });

  /** Each way out: the file that tries it, the class refusing it, the specifier named, what the message says, the require()'s column. */
  const ESCAPES = [
    ["require('../…') out of the package", 'parent.js', ResolveError, '../../secret.cjs', "outside its package's directory", 26],
    ["require('fs')", 'builtin.js', ModuleNotAllowedError, 'fs', 'package "cjs-escape" does not declare "fs"', 20],
    ["require('node:child_process')", 'node-scheme.js', ModuleNotAllowedError, 'node:child_process', 'scheme is not allowed', 26],
    ["require('/etc/passwd')", 'absolute.js', ResolveError, '/etc/passwd', "outside its package's directory", 26],
    ['an undeclared package', 'undeclared.js', ModuleNotAllowedError, 'cjs-basic', 'package "cjs-escape" does not declare "cjs-basic"', 26],
    ['a symbolic link out of the package', 'through-link.js', ResolveError, './link.cjs', 'symbolic link that points outside', 26],
    // Computed: resolved when require() runs, located at the file (the load step never saw it).
    ['a computed specifier', 'computed.js', ModuleNotAllowedError, 'fs', 'package "cjs-escape" does not declare "fs"', undefined],
  ] as const;

  for (const [what, name, Refusal, specifier, reason, column] of ESCAPES) {
    it(`${what}: ${Refusal.name} naming the module, the requiring file and the position`, async () => {
      const error = await rejection<ResolveError | ModuleNotAllowedError>(escape().import(`cjs-escape/${name}`));
      host.seen(error);
      expect(error).toBeInstanceOf(Refusal);
      expect([error.specifier, error.referrer, error.url]).toEqual([specifier, file(`cjs-escape/${name}`), file(`cjs-escape/${name}`)]);
      expect(error.message).toContain(reason);
      expect([error.line, error.column]).toEqual(column === undefined ? [undefined, undefined] : [1, column]);
    });
  }

  it('the refusal is an error of the realm, which the package can catch', async () => {
    const caught = host.seen((await escape().import('cjs-escape/caught.js')).default) as unknown[];
    expect(caught.slice(0, 4)).toEqual([true, true, 'ModuleNotAllowedError', 'ERR_SANDBOX_MODULE_NOT_ALLOWED']);
    expect(caught[4]).toContain('Cannot import "fs"');
  });

  it("under the recommended policy, require('fs') is refused before anything runs", async () => {
    const error = await rejection<PolicyError>(escape({ policy: undefined }).import('cjs-escape/builtin.js'));
    host.seen(error);
    expect(error).toBeInstanceOf(PolicyError);
    expect(error.diagnostics.map((d) => [d.ruleId, d.file, d.line, d.column])).toEqual([
      ['no-disallowed-import', file('cjs-escape/builtin.js'), 1, 20],
    ]);
  });

  it('module, exports, require and the compiled function are of the realm; code generation stays off', async () => {
    // Three sandboxes: the third compiles the file from V8's code cache, made by the second.
    const identities = [];
    for (let i = 0; i < 3; i++) {
      const sandbox = make(host.observe({ root, packages: ['cjs-identity'], policy: false }));
      identities.push(host.seen((await sandbox.import('cjs-identity')).default));
    }
    for (const identity of identities)
      expect(identity).toEqual({
        compiled: true,
        own: ['arguments', 'caller', 'length', 'name', 'prototype'],
        caller: null,
        require: true,
        module: true,
        exports: true,
        children: true,
        constructor: true,
        compile: 'EvalError',
        eval: 'EvalError',
        requireCompile: 'EvalError',
        hostProcess: 'env',
      });
  });
});

describeEach('CommonJS under timeout', (kit) => {
  const { make } = kit;
  const host = guardHost(kit);

  for (const metering of [true, false]) {
    const label = metering ? 'metered' : 'unmetered';

    it(`an infinite loop while a file is required: TimeoutError (${label})`, async () => {
      const sandbox = make(host.observe({ root, packages: ['cjs-loop'], timeout: 200, metering }));
      const error = await rejection(sandbox.import('cjs-loop/at-load.js'));
      host.seen(error);
      expect(error).toBeInstanceOf(TimeoutError);
    });

    it(`an infinite loop in an exported function: TimeoutError (${label})`, async () => {
      const sandbox = make(host.observe({ root, packages: ['cjs-loop'], timeout: 200, metering }));
      const { spin, fine } = await sandbox.import<{ spin(): Promise<void>; fine(): Promise<string> }>('cjs-loop');
      // A few calls first: a metered realm's quiet turns run without a watchdog (run/realm.ts).
      for (let i = 0; i < 10; i++) expect(await fine()).toBe('fine');
      const error = await rejection(spin());
      host.seen(error);
      expect(error).toBeInstanceOf(TimeoutError);
    });
  }
});

describe('check follows require() as a load does', () => {
  const rootPath = realpathSync(fileURLToPath(root));
  const check = (entry: string, policy = resolvePolicy()) =>
    checkGraph(entry, {
      resolver: {
        root: rootPath,
        isAllowed: () => false,
        packages: new Packages(rootPath, { listed: new Set([entry.split('/')[0]!]), conditions: ['import', 'default'] }),
      },
      policy,
    });
  const brief = (found: Awaited<ReturnType<typeof check>>) =>
    found.map((d) => [d.ruleId, d.severity, d.file.split('/node_modules/')[1], d.line, d.column]);

  it('a whole CommonJS package, its requires and JSON included: nothing to report', async () => {
    expect(await check('cjs-basic')).toEqual([]);
  });

  it("require('fs') is the policy's error, as the load's PolicyError says", async () => {
    expect(brief(await check('cjs-escape/builtin.js'))).toEqual([['no-disallowed-import', 'error', 'cjs-escape/builtin.js', 1, 20]]);
  });

  it('a require() that cannot resolve is a warning: the load lets it through for require() to throw', async () => {
    expect(brief(await check('cjs-escape/parent.js'))).toEqual([['load-resolve', 'warn', 'cjs-escape/parent.js', 1, 26]]);
    expect(brief(await check('cjs-escape/undeclared.js'))).toEqual([['no-disallowed-import', 'error', 'cjs-escape/undeclared.js', 1, 26]]);
    expect(brief(await check('cjs-escape/undeclared.js', resolvePolicy({ rules: { 'no-disallowed-import': 'off' } })))).toEqual([
      ['load-module-not-allowed', 'warn', 'cjs-escape/undeclared.js', 1, 26],
    ]);
  });
});

it('the fixture tree is where the tests look', () => {
  expect(fileURLToPath(file('cjs-basic/index.js'))).toMatch(/fixtures\/packages\/commonjs\/node_modules\/cjs-basic\/index\.js$/);
});
