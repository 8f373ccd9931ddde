/**
 * The membrane, fuzzed with fast-check in both directions and both isolations. Values are
 * described by JSON recipes (fixtures/security/recipes.mjs) that either realm can build with its
 * own constructors: nested objects, arrays, Maps, Sets, Dates, RegExps, typed arrays, errors,
 * BigInts, NaN and -0, cycles, functions, getters and Proxies.
 * - host → sandbox: nothing the sandbox receives reaches the host's intrinsics (its own audit
 *   walks every reachable object), and a round trip gives back data equal to the original;
 * - sandbox → host: nothing the host receives reaches the sandbox's intrinsics, data equals the
 *   same recipe built on the host, and getters or Proxies are refused with a MembraneError.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { MembraneError } from '../../src/index.js';
import { describeEach } from '../helpers/sandbox.js';
import { guardHost } from '../helpers/host.js';
import { call, root } from './support.js';

type Recipe = { t: string; [key: string]: unknown };
const recipes = (await import(new URL('recipes.mjs', root).href)) as {
  build(recipe: Recipe): unknown;
  refusedOut(recipe: Recipe): boolean;
};

const NUM_RUNS = 30;
// Not `then`: an object with a `then` function is a thenable, which `await` adopts by design
// (promises.test.ts covers thenables crossing); a fuzzed one would just never settle.
const key = fc
  .string({ maxLength: 6 })
  .filter((k) => k !== 'then')
  .chain((k) => fc.constantFrom(k, '__proto__', 'constructor', 'toString', 'valueOf', 'toJSON', 'prototype', '0', 'length'));
const leaf: fc.Arbitrary<Recipe> = fc.oneof(
  fc
    .oneof(fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.integer(), fc.double({ noNaN: true }))
    .map((v) => ({ t: 'prim', v })),
  fc.constantFrom('NaN', '-0', 'Infinity').map((v) => ({ t: 'num', v })),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((v) => ({ t: 'big', v: String(v) })),
  fc.constant({ t: 'undef' }),
  fc.integer({ min: -8.64e15, max: 8.64e15 }).map((v) => ({ t: 'date', v })),
  fc.constantFrom(['a+b', 'g'], ['^x$', 'im'], ['\\d{2}', 'u']).map(([source, flags]) => ({ t: 're', source, flags })),
  fc
    .tuple(
      fc.constantFrom('Uint8Array', 'Int16Array', 'Float64Array', 'Uint32Array'),
      fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 5 }),
    )
    .map(([kind, v]) => ({ t: 'typed', kind, v })),
  fc
    .tuple(fc.constantFrom('Error', 'TypeError', 'RangeError', 'Custom'), fc.string({ maxLength: 8 }))
    .map(([name, message]) => ({ t: 'err', name, message })),
);
const { tree } = fc.letrec<{ tree: Recipe; node: Recipe }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('node')),
  node: fc.oneof(
    fc.array(tie('tree'), { maxLength: 4 }).map((items) => ({ t: 'arr', items })),
    fc.array(fc.tuple(key, tie('tree')), { maxLength: 4 }).map((entries) => ({ t: 'obj', entries: dedupe(entries) })),
    fc.array(fc.tuple(tie('tree'), tie('tree')), { maxLength: 3 }).map((entries) => ({ t: 'map', entries })),
    fc.array(tie('tree'), { maxLength: 3 }).map((items) => ({ t: 'set', items })),
    fc.constant({
      t: 'obj',
      entries: [
        ['self', { t: 'cycle' }],
        ['list', { t: 'arr', items: [{ t: 'cycle' }] }],
      ],
    }),
  ),
}));
/** Extras: functions, getters and proxies inside otherwise plain trees. */
const special: fc.Arbitrary<Recipe> = fc
  .tuple(fc.constantFrom('fn', 'getter', 'proxy'), tree)
  .map(([t, r]) => (t === 'fn' ? { t, ret: r } : { t, r }));
const withSpecial = fc.tuple(tree, special, key).map(([base, extra, k]) => ({
  t: 'obj',
  entries: dedupe([
    ['base', base],
    [k === 'base' ? 'extra' : k, extra],
  ]),
}));

function dedupe(entries: Array<[string, Recipe]>): Array<[string, Recipe]> {
  const seen = new Set<string>();
  return entries.filter(([k]) => !seen.has(k) && seen.add(k) !== undefined);
}

/** Every object reachable from `value` has a prototype chain ending at this (the host's) Object.prototype. */
function hostOnly(value: unknown): boolean {
  const seen = new Set<unknown>();
  const walk = (v: unknown): boolean => {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function') || seen.has(v)) return true;
    seen.add(v);
    let p: unknown = v;
    for (let next = Object.getPrototypeOf(p); next !== null; next = Object.getPrototypeOf(p)) p = next;
    if (p !== Object.prototype) return false;
    if (v instanceof Map) for (const [k, x] of v) if (!walk(k) || !walk(x)) return false;
    if (v instanceof Set) for (const x of v) if (!walk(x)) return false;
    for (const k of Reflect.ownKeys(v)) {
      const d = Object.getOwnPropertyDescriptor(v, k)!;
      if ('value' in d && !walk(d.value)) return false;
    }
    return true;
  };
  return walk(value);
}

/** Names whose sandbox functions a copy leaves behind (the host's runtime would call them implicitly). */
const IMPLICIT_HOOKS = new Set(['toString', 'valueOf', 'toLocaleString', 'toJSON', 'then']);

/**
 * Functions replaced by a marker, so structures with functions compare as data; with `dropHooks`,
 * functions under IMPLICIT_HOOKS are left out, as the membrane leaves out the sandbox's.
 */
function withoutFunctions(value: unknown, dropHooks = false, seen = new Map<unknown, unknown>()): unknown {
  if (typeof value === 'function') return '[function]';
  if (value === null || typeof value !== 'object' || seen.has(value)) return seen.get(value) ?? value;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const v of value) out.push(withoutFunctions(v, dropHooks, seen));
    return out;
  }
  if (value instanceof Map) {
    const out = new Map();
    seen.set(value, out);
    for (const [k, v] of value) out.set(withoutFunctions(k, dropHooks, seen), withoutFunctions(v, dropHooks, seen));
    return out;
  }
  if (value instanceof Set) {
    const out = new Set();
    seen.set(value, out);
    for (const v of value) out.add(withoutFunctions(v, dropHooks, seen));
    return out;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [k, v] of Object.entries(value)) {
    if (dropHooks && typeof v === 'function' && IMPLICIT_HOOKS.has(k)) continue;
    Object.defineProperty(out, k, { value: withoutFunctions(v, dropHooks, seen), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

describeEach('security: membrane properties (fast-check)', (kit) => {
  const host = guardHost(kit);
  const load = async () => kit.make(host.observe({ root, policy: false })).import('./membrane-property.mjs');

  it('host → sandbox: no reachable object is of the host realm, and a round trip returns equal data (functions keep identity)', async () => {
    const ns = await load();
    await fc.assert(
      fc.asyncProperty(fc.oneof(tree, withSpecial), async (recipe) => {
        const value = recipes.build(recipe);
        expect(await call(ns, 'audit', value)).toMatchObject({ foreign: 0 });
        const back = await call(ns, 'echo', value);
        expect(hostOnly(back)).toBe(true);
        // A host Proxy is host code the host chose to hand over: it crosses as plain data of what
        // its traps report, so a Proxy of a Map or a RegExp comes back as a plain object.
        if (!recipes.refusedOut(recipe)) expect(back).toEqual(value);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('sandbox → host: nothing reaches the sandbox realm, data equals the recipe built on the host, getters and Proxies are refused with MembraneError', async () => {
    const ns = await load();
    await fc.assert(
      fc.asyncProperty(fc.oneof(tree, withSpecial), async (recipe) => {
        if (recipes.refusedOut(recipe)) {
          const error = await call(ns, 'build', recipe).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(MembraneError);
          expect(String((error as Error).message)).toMatch(/getter or setter|Proxy/);
          return;
        }
        const value = host.seen(await call(ns, 'build', recipe));
        expect(hostOnly(value)).toBe(true);
        expect(withoutFunctions(value)).toEqual(withoutFunctions(recipes.build(recipe), true));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("sandbox → host → sandbox: what went out comes back as the sandbox realm's again", async () => {
    const ns = await load();
    await fc.assert(
      fc.asyncProperty(tree, async (recipe) => {
        const value = await call(ns, 'build', recipe);
        expect(await call(ns, 'audit', value)).toMatchObject({ foreign: 0 });
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
