/**
 * The objects a module sees, inspected from inside the sandbox: module namespace objects (ECMA-262
 * 10.4.6), `import.meta` (13.3.12), JSON modules and import attributes; and the documented
 * differences from a plain Node module (code generation off, `import.meta` carrying `url` only).
 */
import { expect, it } from 'vitest';
import { LoadError } from '../../src/index.js';
import { describeEach, rejection } from '../helpers/sandbox.js';
import { inside, root, rootUrl, urlOf } from './support.js';

/** Export names of namespace/exports.mjs in code-unit order (what [[OwnPropertyKeys]] must give). */
const SORTED = ['$', '0', 'Z', '_', 'a', 'aa', 'b', 'default', 'with space', 'é', '𐊧', 'ｚ'];

describeEach('conformance: module namespace objects', ({ make }) => {
  it('has @@toStringTag "Module" (not writable, enumerable or configurable) and a null prototype that cannot change', async () => {
    const { report } = await make({ root }).import('./namespace/probe.mjs');
    expect(report).toMatchObject({
      toStringTag: 'Module',
      tagDescriptor: { value: 'Module', writable: false, enumerable: false, configurable: false },
      objectToString: '[object Module]',
      prototypeIsNull: true,
      setPrototypeOfNull: true,
      setPrototypeOfObject: false,
    });
  });

  it('lists its exports sorted by code unit (not by source order, integer-likeness or code point), then @@toStringTag', async () => {
    const { report } = await make({ root }).import('./namespace/probe.mjs');
    const r = report as Record<string, unknown>;
    // Guard against a sort that would pass by accident: each discriminating pair is in the list.
    expect(SORTED).toEqual([...SORTED].sort());
    // V8 (and so Node's own loader, 20 to 24) lists an integer-like name such as "0" first, as for an
    // ordinary object, where the spec sorts it with the rest: the engine's order, not the sandbox's.
    const engineOrder = ['0', ...SORTED.filter((k) => k !== '0')];
    for (const [what, keys] of [
      ['ownKeys', (r.ownKeys as string[]).slice(0, -1)],
      ['keys', r.keys],
      ['for-in', r.forIn],
    ] as const) {
      expect([SORTED, engineOrder], what).toContainEqual(keys);
    }
    expect((r.ownKeys as string[]).at(-1)).toBe('Symbol(Symbol.toStringTag)');
  });

  it('is not extensible; its exports are writable, enumerable, non-configurable, yet cannot be assigned, deleted or redefined', async () => {
    const { report } = await make({ root }).import('./namespace/probe.mjs');
    expect(report).toMatchObject({
      descriptor: { value: 'value of a', writable: true, enumerable: true, configurable: false },
      extensible: false,
      sealed: true,
      frozen: false,
      preventExtensions: true,
      set: { ok: false, typeError: true },
      setNew: { ok: false, typeError: true },
      deleteExisting: { ok: false, typeError: true },
      deleteMissing: { ok: true, value: true },
      defineSame: true,
      defineOther: false,
      freeze: { ok: false, typeError: true },
    });
  });

  it('shows `default` and string export names, reflects live bindings, and is one object per module', async () => {
    const sandbox = make({ root });
    const { report, sameAsDynamic } = await sandbox.import('./namespace/probe.mjs');
    expect(report).toMatchObject({
      hasDefault: true,
      defaultValue: 'value of default',
      quotedNames: ['value of 0', 'value of a'],
      live: { before: 0, after: 1 },
      sameObject: true,
    });
    expect(await (sameAsDynamic as () => Promise<boolean>)()).toBe(true);
  });

  it('leaves out a name two `export *` provide (no error unless it is imported), and `default`, which `export *` never re-exports', async () => {
    const { report } = await make({ root }).import('./namespace/probe.mjs');
    expect(report).toMatchObject({
      conflictKeys: ['only1', 'only2', 'Symbol(Symbol.toStringTag)'],
      conflictHasX: false,
      starAsKeys: ['inner', 'only2', 'x'],
      starDefaultKeys: ['only1', 'x'],
    });
  });

  it('throws a ReferenceError for a binding still in its temporal dead zone; `in` and the key list do not', async () => {
    const { before } = await make({ root }).import('./namespace/self-tdz.mjs');
    expect(before).toEqual({
      has: true,
      ownKeys: ['before', 'late', 'Symbol(Symbol.toStringTag)'],
      get: { ok: false, referenceError: true },
      keys: { ok: false, referenceError: true },
      descriptor: { ok: false, referenceError: true },
    });
  });
});

describeEach('conformance: import.meta', ({ make }) => {
  it('is one null-prototype, extensible object per module, the same at every access, with `url` only (a documented difference from Node)', async () => {
    const { report } = await make({ root }).import('./meta/probe.mjs');
    expect(report).toEqual({
      prototypeIsNull: true,
      sameEachAccess: true,
      otherModuleDiffers: true,
      type: 'object',
      // Node's own loader adds dirname, filename and resolve: the sandbox has no file system or resolver to offer.
      ownKeys: ['url'],
      url: urlOf('meta/probe.mjs'),
      urlDescriptor: { type: 'string', writable: true, enumerable: true, configurable: true },
      extensible: true,
      otherUrl: urlOf('meta/other.mjs'),
    });
  });

  it('gives a module run by evaluate() the URL of its virtual file', async () => {
    const sandbox = make({ root });
    const ns = await sandbox.evaluate('export const url = import.meta.url;\n', { filename: 'virtual/where.mjs' });
    expect(ns.url).toBe(`${rootUrl}virtual/where.mjs`);
  });
});

describeEach('conformance: JSON modules and import attributes', ({ make }) => {
  it("imports JSON with `with { type: 'json' }`: one `default` export, one evaluation, the same namespace statically and dynamically", async () => {
    const sandbox = make({ root });
    const { report, dynamicIsSame } = await sandbox.import('./attributes/static.mjs');
    expect(report).toEqual({ answer: 42, keys: ['default', 'Symbol(Symbol.toStringTag)'], same: true });
    expect(await (dynamicIsSame as () => Promise<boolean>)()).toBe(true);
  });

  it('refuses a static import of JSON without the attribute before anything runs', async () => {
    const error = await rejection(make({ root }).import('./attributes/static-missing.mjs'));
    expect(error).toBeInstanceOf(LoadError);
    expect(error.message).toContain("{ type: 'json' }");
  });
});

describeEach('conformance: documented differences', ({ make }) => {
  it("code generation from strings is off: eval and the Function constructor throw the realm's EvalError (policy off)", async () => {
    const sandbox = make({ root, policy: false });
    const seen = await inside<Record<string, unknown>>(
      sandbox,
      `(() => {
      const attempt = (run) => { try { run(); return { ok: true }; } catch (e) { return describe(e); } };
      return { eval: attempt(() => eval('1')), indirect: attempt(() => (0, eval)('1')), fn: attempt(() => new Function('return 1')) };
    })()`,
    );
    for (const key of ['eval', 'indirect', 'fn']) {
      expect(seen[key], key).toMatchObject({ constructor: 'EvalError', prototype: 'EvalError', instanceOf: ['Error', 'EvalError'] });
    }
  });
});
