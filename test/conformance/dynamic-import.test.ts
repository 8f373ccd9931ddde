/**
 * What `import()` rejects with inside the sandbox, phase by phase (ECMA-262 ContinueDynamicImport,
 * InnerModuleEvaluation; test262 test/language/expressions/dynamic-import/catch): the very value an
 * evaluation threw, the realm's SyntaxError for parse and link errors, and a realm TypeError for
 * what the host refuses to load. The host keeps receiving esm-sandbox's typed errors.
 */
import { expect, it } from 'vitest';
import {
  LinkError,
  LoadError,
  ModuleNotAllowedError,
  PolicyError,
  ResolveError,
  SandboxError,
  SandboxSyntaxError,
} from '../../src/index.js';
import { guardHost } from '../helpers/host.js';
import { describeEach, rejection } from '../helpers/sandbox.js';
import { importInside, inside, ranInside, realmError, root, urlOf } from './support.js';

describeEach('conformance: import() of a module whose evaluation throws', (kit) => {
  const { make } = kit;
  // No host unhandled rejection, no host change, and the isolation still serves a fresh sandbox.
  guardHost(kit);
  it("evaluate: rejects with the very error object thrown (Error, TypeError, the engine's URIError, a subclass)", async () => {
    const sandbox = make({ root });
    expect(await importInside(sandbox, './evaluate/throw-error.mjs', 'error')).toMatchObject({
      ...realmError('Error'),
      same: true,
      message: 'plain error',
    });
    expect(await importInside(sandbox, './evaluate/throw-type-error.mjs', 'type-error')).toMatchObject({
      ...realmError('TypeError'),
      same: true,
      name: 'TypeError',
    });
    expect(await importInside(sandbox, './evaluate/throw-uri-error.mjs', 'uri-error')).toMatchObject({
      ...realmError('URIError'),
      same: true,
      name: 'URIError',
    });
    expect(await importInside(sandbox, './evaluate/throw-subclass.mjs', 'subclass')).toMatchObject({
      type: 'object',
      same: true,
      constructor: null,
      prototype: null,
      instanceOf: ['Error'],
      name: 'PluginError',
      code: 'E_PLUGIN',
    });
  });

  it('evaluate: rejects with the very value thrown when it is not an error (primitives, null, undefined, a plain object)', async () => {
    const sandbox = make({ root });
    expect(await importInside(sandbox, './evaluate/throw-string.mjs', 'string')).toEqual(
      expect.objectContaining({ type: 'string', same: true, value: 'foo' }),
    );
    expect(await importInside(sandbox, './evaluate/throw-number.mjs', 'number')).toEqual(
      expect.objectContaining({ type: 'number', same: true, value: 42 }),
    );
    expect(await importInside(sandbox, './evaluate/throw-undefined.mjs', 'undefined')).toEqual(
      expect.objectContaining({ type: 'undefined', same: true }),
    );
    expect(await importInside(sandbox, './evaluate/throw-null.mjs', 'null')).toEqual(expect.objectContaining({ type: 'null', same: true }));
    expect(await importInside(sandbox, './evaluate/throw-symbol.mjs', 'symbol')).toEqual(
      expect.objectContaining({ type: 'symbol', same: true, value: 'thrown symbol' }),
    );
    expect(await importInside(sandbox, './evaluate/throw-object.mjs', 'object')).toEqual(
      expect.objectContaining({ type: 'object', same: true, constructor: null, instanceOf: [] }),
    );
  });

  it("evaluate: a module whose dependency threw rejects with the dependency's value, and its own body never runs", async () => {
    const sandbox = make({ root });
    expect(await importInside(sandbox, './evaluate/via-dependency.mjs', 'type-error')).toMatchObject({
      ...realmError('TypeError'),
      same: true,
    });
    expect(await ranInside(sandbox)).toEqual(['throw-type-error']);
  });

  it('evaluate: a later import() of a module that threw rejects with the same value again, without running it again', async () => {
    const sandbox = make({ root });
    for (let round = 0; round < 3; round++) {
      expect(await importInside(sandbox, './evaluate/counted.mjs', 'counted'), `round ${round}`).toMatchObject({
        ...realmError('RangeError'),
        same: true,
      });
    }
    // Two import() calls in the same turn, and one through a module that imports it statically.
    const both = await inside<boolean>(
      sandbox,
      `Promise.allSettled([import('./evaluate/counted.mjs'), import('./evaluate/counted.mjs')])
      .then(async ([a, b]) => { const { thrown } = await import('./lib/record.mjs'); return a.reason === b.reason && a.reason === thrown.get('counted'); })`,
    );
    expect(both).toBe(true);
    expect(await ranInside(sandbox)).toEqual(['counted']);
  });

  it('evaluate: a module that threw when the host imported it rejects inside with the value it threw', async () => {
    const sandbox = make({ root });
    const hostSide = await rejection(sandbox.import('./evaluate/host-first.mjs'));
    expect(hostSide).toBeInstanceOf(SandboxError);
    expect(hostSide).toMatchObject({ sandboxName: 'object', thrown: { thrownAt: 'host-first.mjs' } });
    expect(await importInside(sandbox, './evaluate/host-first.mjs', 'host-first')).toMatchObject({ type: 'object', same: true });
    // Failed as a dependency of a host import, then imported on its own from inside.
    await rejection(sandbox.import('./evaluate/via-dependency.mjs'));
    expect(await importInside(sandbox, './evaluate/throw-type-error.mjs', 'type-error')).toMatchObject({
      ...realmError('TypeError'),
      same: true,
    });
    // A module not loaded yet, importing one that failed earlier (Node 20's link() refuses that pairing).
    const other = make({ root });
    await rejection(other.import('./evaluate/throw-type-error.mjs'));
    expect(await importInside(other, './evaluate/via-dependency.mjs', 'type-error')).toMatchObject({
      ...realmError('TypeError'),
      same: true,
    });
    expect(await ranInside(other)).toEqual(['throw-type-error']);
  });

  it('evaluate: the host still gets a SandboxError carrying a copy of what was thrown', async () => {
    const sandbox = make({ root });
    const cases: Array<[string, string, unknown]> = [
      ['./evaluate/throw-type-error.mjs', 'TypeError', undefined],
      ['./evaluate/throw-string.mjs', 'string', 'foo'],
      ['./evaluate/throw-number.mjs', 'number', 42],
      ['./evaluate/throw-undefined.mjs', 'undefined', undefined],
      ['./evaluate/throw-object.mjs', 'object', { reason: 'a plain object' }],
      ['./evaluate/via-dependency.mjs', 'TypeError', undefined],
    ];
    for (const [specifier, sandboxName, thrown] of cases) {
      const error = await rejection(sandbox.import(specifier));
      expect(error, specifier).toBeInstanceOf(SandboxError);
      expect(error.sandboxName, specifier).toBe(sandboxName);
      if (thrown !== undefined) expect(error.thrown, specifier).toEqual(thrown);
      if (sandboxName === 'object') expect(Object.getPrototypeOf(error.thrown), specifier).toBe(Object.prototype);
      // A host copy: nothing of the sandbox's realm.
      expect(Object.getPrototypeOf(error)).toBe(SandboxError.prototype);
    }
  });
});

describeEach('conformance: import() of a module that does not parse or link', (kit) => {
  const { make } = kit;
  guardHost(kit);
  it("parse: a syntax error (or an early error) rejects with the realm's SyntaxError naming the file; nothing runs", async () => {
    const sandbox = make({ root });
    for (const file of ['parse/syntax.mjs', 'parse/early-error.mjs', 'parse/imports-syntax.mjs']) {
      const seen = await importInside(sandbox, `./${file}`);
      expect(seen, file).toMatchObject({ ...realmError('SyntaxError'), name: 'SyntaxError', code: 'ERR_SANDBOX_SYNTAX' });
      expect(seen.message, file).toContain(urlOf(file.replace('imports-syntax', 'syntax')));
    }
    expect(await ranInside(sandbox)).toEqual([]);
    expect(await rejection(sandbox.import('./parse/syntax.mjs'))).toBeInstanceOf(SandboxSyntaxError);
  });

  it("link: a missing export, an ambiguous `export *` name and a circular re-export reject with the realm's SyntaxError", async () => {
    const sandbox = make({ root });
    for (const [file, name] of [
      ['link/missing.mjs', 'nope'],
      ['link/imports-ambiguous.mjs', 'x'],
      ['link/imports-cycle.mjs', 'x'],
      ['link/imports-star-default.mjs', 'default'],
    ]) {
      const seen = await importInside(sandbox, `./${file}`);
      expect(seen, file).toMatchObject({ ...realmError('SyntaxError'), name: 'SyntaxError', code: 'ERR_SANDBOX_LINK' });
      expect(seen.message, file).toContain(`'${name}'`);
    }
    expect(await ranInside(sandbox)).toEqual([]);
    // The same modules, imported by the host: LinkError with the import's location.
    for (const file of ['link/missing.mjs', 'link/imports-ambiguous.mjs', 'link/imports-cycle.mjs']) {
      const error = await rejection(sandbox.import(`./${file}`));
      expect(error, file).toBeInstanceOf(LinkError);
      // A cycle is reported where it closes: the re-export in cycle-a.mjs.
      expect(error.url, file).toBe(urlOf(file === 'link/imports-cycle.mjs' ? 'link/cycle-a.mjs' : file));
    }
  });

  it('link: a failed link leaves no trace; the graph stays usable and the same import() fails the same way again', async () => {
    const sandbox = make({ root });
    for (let round = 0; round < 2; round++) {
      expect(await importInside(sandbox, './link/imports-ambiguous.mjs')).toMatchObject({ ...realmError('SyntaxError') });
    }
    expect(await importInside(sandbox, './link/ambiguous-star.mjs')).toEqual({
      fulfilled: true,
      keys: ['only1', 'only2', 'Symbol(Symbol.toStringTag)'],
    });
  });
});

describeEach('conformance: import() refused by the host is a realm TypeError', (kit) => {
  const { make } = kit;
  guardHost(kit);
  it('the policy refuses the target: TypeError with the rule in the message; nothing ran; the host gets PolicyError', async () => {
    const sandbox = make({ root });
    for (const file of ['refuse/policy.mjs', 'refuse/imports-policy.mjs']) {
      const seen = await importInside(sandbox, `./${file}`);
      expect(seen, file).toMatchObject({ ...realmError('TypeError'), name: 'PolicyError', code: 'ERR_SANDBOX_POLICY' });
      expect(seen.message, file).toContain('no-builtin-prototype-write');
      expect(seen.message, file).toContain(urlOf('refuse/policy.mjs'));
    }
    expect(await ranInside(sandbox)).toEqual([]);
    expect(await rejection(sandbox.import('./refuse/policy.mjs'))).toBeInstanceOf(PolicyError);
  });

  it('the allow-list refuses the specifier: TypeError naming it (policy off, so only the resolver stands in the way)', async () => {
    const sandbox = make({ root, policy: false, modules: { 'app:api': { version: 1 } } });
    for (const specifier of ['node:fs', 'fs', 'data:text/javascript,export default 1', 'https://example.com/x.mjs']) {
      const seen = await importInside(sandbox, specifier);
      expect(seen, specifier).toMatchObject({
        ...realmError('TypeError'),
        name: 'ModuleNotAllowedError',
        code: 'ERR_SANDBOX_MODULE_NOT_ALLOWED',
      });
      expect(seen.message, specifier).toContain(`"${specifier}"`);
    }
    expect(await importInside(sandbox, 'app:api')).toEqual({ fulfilled: true, keys: ['version', 'Symbol(Symbol.toStringTag)'] });
    expect(await rejection(sandbox.import('node:fs'))).toBeInstanceOf(ModuleNotAllowedError);
  });

  it('a file that cannot be resolved (missing, outside the root, missing as a static import of the target): TypeError', async () => {
    const sandbox = make({ root, policy: false });
    for (const [specifier, missing] of [
      ['./refuse/does-not-exist.mjs', './refuse/does-not-exist.mjs'],
      ['./refuse/imports-missing.mjs', './does-not-exist.mjs'],
      ['../../outside.mjs', '../../outside.mjs'],
    ]) {
      const seen = await importInside(sandbox, specifier!);
      expect(seen, specifier).toMatchObject({ ...realmError('TypeError'), name: 'ResolveError', code: 'ERR_SANDBOX_RESOLVE' });
      expect(seen.message, specifier).toContain(`"${missing}"`);
    }
    expect(await rejection(sandbox.import('./refuse/does-not-exist.mjs'))).toBeInstanceOf(ResolveError);
  });

  it("a JSON module without `with { type: 'json' }`, or a type that does not fit the file: TypeError, as Node's loader", async () => {
    const sandbox = make({ root });
    const cases: Array<[string, string | undefined]> = [
      ['./attributes/data.json', undefined],
      ['./attributes/data.json', "{ with: { type: 'css' } }"],
      ['./attributes/plain.mjs', "{ with: { type: 'json' } }"],
      ['./attributes/plain.mjs', "{ with: { kind: 'module' } }"],
    ];
    for (const [specifier, options] of cases) {
      const seen = await importInside(sandbox, specifier, undefined, options);
      expect(seen, `${specifier} ${options}`).toMatchObject({ ...realmError('TypeError'), name: 'LoadError', code: 'ERR_SANDBOX_LOAD' });
    }
    // Refused by the engine before the host is asked (ECMA-262 EvaluateImportCall): TypeErrors too.
    for (const options of ['1', '{ with: { type: 1 } }', "{ with: 'json' }"]) {
      expect(await importInside(sandbox, './attributes/data.json', undefined, options), options).toMatchObject(realmError('TypeError'));
    }
    expect(await importInside(sandbox, './attributes/data.json', undefined, "{ with: { type: 'json' } }")).toEqual({
      fulfilled: true,
      keys: ['default', 'Symbol(Symbol.toStringTag)'],
    });
    expect(await rejection(sandbox.import('./attributes/static-missing.mjs'))).toBeInstanceOf(LoadError);
  });
});

describeEach('conformance: import() rejections that sandbox code lets through reach the host typed', (kit) => {
  const { make } = kit;
  guardHost(kit);
  it('a realm SyntaxError or TypeError made from a LinkError or ResolveError comes out as that error again', async () => {
    const sandbox = make({ root });
    const link = await rejection(sandbox.import('./tla/awaits-refused.mjs'));
    expect(link).toBeInstanceOf(LinkError);
    expect(link.url).toBe(urlOf('link/imports-ambiguous.mjs'));
    const missing = await rejection(sandbox.import('./tla/awaits-missing.mjs'));
    expect(missing).toBeInstanceOf(ResolveError);
    expect(missing.message).toContain('"../refuse/does-not-exist.mjs"');
  });
});

describeEach('conformance: top-level await and rejections', (kit) => {
  const { make } = kit;
  guardHost(kit);
  it('a dependency that rejects after an await: its sibling has run, the parent never does, import() rejects with the value', async () => {
    const sandbox = make({ root });
    expect(await importInside(sandbox, './tla/parent.mjs', 'tla')).toMatchObject({ ...realmError('RangeError'), same: true });
    expect(await ranInside(sandbox)).toEqual(['reject-late:start', 'sibling', 'reject-late:resumed']);
    // Cached on both records: the same value again, through either module, nothing re-run.
    expect(await importInside(sandbox, './tla/reject-late.mjs', 'tla')).toMatchObject({ same: true });
    expect(await importInside(sandbox, './tla/parent.mjs', 'tla')).toMatchObject({ same: true });
    expect(await ranInside(sandbox)).toEqual(['reject-late:start', 'sibling', 'reject-late:resumed']);
  });

  it('`await import()` of a module that throws, at top level: the awaiting module rejects with the thrown value itself', async () => {
    const sandbox = make({ root });
    expect(await importInside(sandbox, './tla/awaits-import.mjs', 'type-error')).toMatchObject({ ...realmError('TypeError'), same: true });
    expect(await ranInside(sandbox)).toEqual(['throw-type-error']);
    const hostSide = await rejection(sandbox.import('./tla/awaits-import.mjs'));
    expect(hostSide).toMatchObject({ sandboxName: 'TypeError' });
  });

  it('reactions to the rejections of two import() calls of one failing module run in the order they were registered', async () => {
    const sandbox = make({ root });
    const order = await inside<unknown>(
      sandbox,
      `(async () => {
      const { thrown } = await import('./lib/record.mjs');
      const order = [];
      const first = import('./tla/reject-late.mjs').catch((e) => order.push(['first', e === thrown.get('tla')]));
      const second = import('./tla/reject-late.mjs').catch((e) => order.push(['second', e === thrown.get('tla')]));
      order.push('registered');
      await Promise.all([first, second]);
      return order;
    })()`,
    );
    expect(order).toEqual(['registered', ['first', true], ['second', true]]);
  });
});
