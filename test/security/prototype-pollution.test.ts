/**
 * Prototype pollution aimed at the host, and from one sandbox at another (two sandboxes sharing
 * one worker thread included). The sandbox rewrites its realm's intrinsics (vm2 CVE-2022-25893:
 * a patched WeakMap.prototype.set), pollutes Object/Array prototypes by every spelling
 * (CVE-2019-10744 class), then data and calls cross both ways: the host's prototypes stay as
 * they were (checked after every test), nothing patched runs on the host's behalf, copies keep
 * their data, and a sibling sandbox sees a clean realm.
 */
import { expect, it } from 'vitest';
import { describeEach } from '../helpers/sandbox.js';
import { guardHost } from '../helpers/host.js';
import { call, expectAllBlocked, hostApi, root } from './support.js';

const file = './prototype-pollution.mjs';

describeEach('security: prototype pollution', (kit) => {
  const host = guardHost(kit);
  const api = hostApi();
  const make = () => kit.make(host.observe({ root, policy: false, modules: { 'host:api': api } }));

  it('CVE-2022-25893 shape: patched WeakMap/Map/Set/Array/Function/Object/Reflect/JSON intrinsics never run while the membrane copies both ways', async () => {
    const ns = await make().import(file);
    expect(await call(ns, 'patchIntrinsics')).toBe('patched');
    const before = await call(ns, 'count');
    const data = {
      a: 1,
      list: [1, [2, { deep: 3 }]],
      map: new Map([['k', { v: 1 }]]),
      set: new Set([1, 'x']),
      date: new Date(3),
      bytes: new Uint8Array([1, 2]),
    };
    const back = host.seen(await call(ns, 'identity', data)) as typeof data;
    expect(back).toEqual(data);
    expect(back).not.toBe(data);
    const sparse = host.seen(await call(ns, 'sparse')) as unknown[];
    expect(sparse).toHaveLength(4);
    expect(sparse[1]).toBe(1);
    expect(sparse[0]).toBeUndefined();
    // Only the host's own work happened between the two counts: no patched intrinsic ran for it.
    expect(await call(ns, 'count')).toBe(before);
  });

  it('pollution of the sandbox realm (__proto__, constructor.prototype, JSON __proto__, array index, accessors, toJSON, then) never reaches host objects or copies', async () => {
    const ns = await make().import(file);
    await call(ns, 'pollute');
    const crossed = host.seen(await call(ns, 'crossBothWays', { a: 1, nested: { b: 2 } })) as Record<string, unknown>;
    expect(crossed).toMatchObject({ received: { own: true, keys: ['a', 'nested'] }, values: 9, record: 3, callback: 1 });
    const echoed = crossed.echo as Record<string, unknown>;
    expect(echoed).toEqual({ a: [1, 2, { b: 3 }], m: new Map([['k', 1]]), s: new Set([1]), x: 'own x' });
    // Copies inherit from the host's clean prototypes, and serialise as plain data.
    expect(JSON.stringify(echoed.a)).toBe('[1,2,{"b":3}]');
    for (const key of ['polluted', 'pwned', 'polluted2', 'x', 'toJSON', 'then']) expect(Object.prototype, key).not.toHaveProperty(key);
    expect(Array.prototype).not.toHaveProperty('pollutedArray');
    expect(([] as unknown[])[0]).toBeUndefined();
  });

  it('mutating an allow-listed module (a bridged function, a data export and its prototype) changes neither the host object nor another sandbox', async () => {
    const first = await make().import(file);
    const mutated = host.seen(await call(first, 'mutateModule')) as Record<string, unknown>;
    expect(mutated.fnProp).toMatchObject({ escaped: true });
    expect(api.settings).toEqual({ level: 1 });
    expect(Object.isFrozen(api.settings) || !('injected' in api.settings)).toBe(true);
    expect((api.echo as unknown as Record<string, unknown>).extra).toBeUndefined();
    const second = await make().import(file);
    expect(host.seen(await call(second, 'probe'))).toMatchObject({ api: 'function', apiExtra: undefined, settings: { level: 1 } });
    // Blocked or not, a write in one realm's module namespace never shows elsewhere.
    if (!(mutated.dataProp as { escaped: boolean }).escaped) expectAllBlocked({ d: mutated.dataProp }, 1, ['TypeError']);
  });

  it('a sandbox that pollutes its globals, JSON, Object/Array/Function prototypes leaves a sibling sandbox clean — two sandboxes on one worker thread included', async () => {
    const a = make();
    const b = make();
    if (kit.isolation !== 'context') {
      // Sandboxes without a memory limit share the lane's current thread (or child process).
      expect((a as unknown as Record<string, unknown>)['thread']).toBe((b as unknown as Record<string, unknown>)['thread']);
    }
    const nsA = await a.import(file);
    await call(nsA, 'patchIntrinsics');
    await call(nsA, 'pollute');
    expect(await call(nsA, 'pollutesGlobal')).toBe('done');
    const nsB = await b.import(file);
    expect(host.seen(await call(nsB, 'probe'))).toEqual({
      polluted: undefined,
      pwned: undefined,
      pollutedArray: undefined,
      hole: undefined,
      x: undefined,
      api: 'function',
      apiExtra: undefined,
      settings: { level: 1 },
    });
    const check = await b.evaluate(
      `export default [JSON.stringify({ a: 1 }), [1].map((x) => x + 1), typeof globalThis.pwned, ({}).pollutedBySibling, (function f() {}).toString()];`,
    );
    expect(check.default).toEqual(['{"a":1}', [2], 'undefined', undefined, 'function f() {}']);
    // And A keeps working for itself, polluted as it is.
    expect(await call(nsA, 'identity', { ok: true })).toEqual({ ok: true });
  });
});
