/**
 * Values the sandbox hands to host functions: conversion hooks, getters, Proxies (every trap),
 * Symbol.species. The host function gets copies and runs none of the sandbox's code; what cannot
 * be copied is refused, and the sandbox sees a MembraneError of its own realm.
 * Advisories: vm2 CVE-2023-32313, CVE-2023-32314 (Proxy traps run for host code), CVE-2022-25893.
 */
import { expect, it } from 'vitest';
import { describeEach } from '../helpers/sandbox.js';
import { guardHost } from '../helpers/host.js';
import { call, hostApi, root } from './support.js';

const file = './coercion-and-proxies.mjs';
type Outcome = {
  ok: boolean;
  value?: unknown;
  name?: string;
  ownRealm?: boolean;
  membrane?: boolean;
  caught?: { own: boolean; climb: { escaped: boolean; name: string } };
};

function expectRefused(outcome: Outcome, label: string): void {
  expect(outcome, label).toMatchObject({
    ok: false,
    name: 'MembraneError',
    ownRealm: true,
    membrane: true,
    caught: { own: true, climb: { escaped: false, name: 'EvalError' } },
  });
}

describeEach('security: coercion hooks and proxies handed to host code', (kit) => {
  const host = guardHost(kit);
  const calls: string[] = [];
  const load = async () => {
    calls.length = 0;
    return kit.make(host.observe({ root, policy: false, modules: { 'host:api': hostApi(calls) } })).import(file);
  };

  it('Symbol.toPrimitive, valueOf, toString, toJSON and inspect.custom: the host coerces and serialises a copy, running none', async () => {
    const ns = await load();
    const out = host.seen(await call(ns, 'conversionHooks')) as Record<string, Outcome>;
    expect(out.object).toEqual({ ok: true, value: ['[object Object]', '[object Object]', '{"data":1}', 'object'] });
    expect(out.array).toEqual({ ok: true, value: ['1,2', '1,2', '[1,2]', 'object'] });
    expect(out.fn!.ok).toBe(true);
    expect(calls).toEqual(['format', 'format', 'format']);
    expect(await call(ns, 'report')).toEqual([]);
  });

  it('getters and setters (also nested in arrays) are refused before the host function runs', async () => {
    const ns = await load();
    const out = host.seen(await call(ns, 'getters')) as Record<string, Outcome>;
    for (const [key, outcome] of Object.entries(out)) expectRefused(outcome, key);
    expect(calls).toEqual([]);
    expect(await call(ns, 'report')).toEqual([]);
  });

  it('CVE-2023-32313 / CVE-2023-32314 shape: Proxies with every trap (object, function, array, in a prototype, revoked, nested) never reach host code and run no trap', async () => {
    const ns = await load();
    const out = host.seen(await call(ns, 'proxies')) as Record<string, Outcome>;
    for (const key of ['object', 'func', 'array', 'revoked', 'nested']) expectRefused(out[key]!, key);
    // A proxy in the prototype chain is not walked: the object's own data crosses.
    expect(out.inPrototype).toEqual({ ok: true, value: {} });
    expect(calls).toEqual([]);
    expect(await call(ns, 'report')).toEqual([]);
  });

  it('Symbol.species and an own `map` on an array the host maps: the host maps a plain copy', async () => {
    const ns = await load();
    expect(host.seen(await call(ns, 'species'))).toEqual({ ok: true, value: [1, 2, 3] });
    expect(calls).toEqual(['mapper']);
    expect(await call(ns, 'report')).toEqual([]);
  });

  it('a sandbox function handed to the host is a host callable; holding it runs nothing', async () => {
    const ns = await load();
    expect(host.seen(await call(ns, 'callbackWithHostArgs'))).toEqual({ result: { ok: true, value: 2 }, seen: [] });
    expect(calls).toEqual(['record:2']);
  });
});
