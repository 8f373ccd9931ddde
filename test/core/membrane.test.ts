/**
 * The membrane, in both isolations: data is copied both ways (objects, arrays, Map, Set, Date,
 * RegExp, typed arrays, errors, cycles), functions cross both ways as callables, a function that
 * goes out and comes back is itself again, and getters and proxies made by sandbox code are
 * refused with a MembraneError without any of their code running (a counter in the sandbox shows it).
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { MembraneError } from '../../src/index.js';
import type { ModuleNamespace } from '../../src/index.js';
import { describeEach, fixtures, rejection } from '../helpers/sandbox.js';

const root = fixtures('realm');
type Fn = (...args: unknown[]) => Promise<unknown>;
const fn = (ns: ModuleNamespace, name: string) => ns[name] as Fn;

function hostData() {
  const x: Record<string, unknown> = {
    nested: { list: [1, 2, { deep: 'yes' }] },
    map: new Map<unknown, unknown>([['k', { v: 1 }]]),
    set: new Set<unknown>([1, 'two', 3]),
    date: new Date(5),
    re: /ab+c/gi,
    bytes: new Uint8Array([1, 2, 3]),
    f64: new Float64Array([1.5]),
    buffer: new Uint8Array([7, 7]).buffer,
    error: Object.assign(new RangeError('out of range'), { code: 'E_RANGE' }),
    big: 10n,
    nan: NaN,
    negZero: -0,
    undef: undefined,
    fn: (a: number, b: number) => a + b,
  };
  x.self = x;
  x.list = [x];
  (x.map as Map<unknown, unknown>).set('back', x);
  return x;
}

/** Own property names of the host's global and main prototypes: crossings must change none of them. */
const hostShape = () =>
  [globalThis, Object.prototype, Array.prototype, Function.prototype, Map.prototype, Promise.prototype].map((target) =>
    Reflect.ownKeys(target).map(String).sort().join(),
  );

describeEach('membrane', ({ make }) => {
  it('an error a sandbox callback threw, passed back through an awaiting host function, reaches the sandbox as an error', async () => {
    const sandbox = make({ root, modules: { 'app:api': { each: async (fn: (n: number) => Promise<unknown>) => await fn(1) } } });
    const ns = await sandbox.import('./membrane/rethrow.mjs');
    const seen = await (ns.run as () => Promise<Record<string, unknown>>)();
    expect(seen).toMatchObject({ isError: true, name: 'SandboxError' });
    expect(seen.message).toMatch(/^TypeError: inner boom \(file:.*rethrow\.mjs:8:13\)$/);
  });

  let before: string[];
  beforeEach(() => {
    before = hostShape();
  });
  afterEach(() => {
    expect(hostShape()).toEqual(before);
  });

  it('copies host data into the sandbox as sandbox-realm values, cycles included', async () => {
    const ns = await make({ root }).import('./membrane/data.mjs');
    const seen = await fn(ns, 'inspect')(hostData());
    expect(seen).toEqual({
      protoObject: true,
      nested: 'yes',
      cycle: true,
      listCycle: true,
      map: true,
      set: true,
      date: true,
      re: true,
      bytes: true,
      f64: true,
      buffer: true,
      error: true,
      primitives: 'bigint,true,true,true,true',
      fnResult: 42,
      fnIsOwn: true,
    });
  });

  it('copies sandbox data out as host values, cycles included', async () => {
    const ns = await make({ root }).import('./membrane/data.mjs');
    const o = (await fn(ns, 'make')()) as Record<string, unknown>;
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(o).toMatchObject({ n: 1, s: 'two', b: true, nul: null, big: 10n, nested: { list: [1, 2, { deep: 'yes' }], empty: [] } });
    expect(Number.isNaN(o.nan)).toBe(true);
    expect(Object.is(o.negZero, -0)).toBe(true);
    expect('undef' in o && o.undef === undefined).toBe(true);
    expect(o.self).toBe(o);
    expect((o.list as unknown[])[0]).toBe(o);
    expect((o.list as unknown[])[1]).toBe(o.nested);
    const map = o.map as Map<unknown, unknown>;
    expect(map).toBeInstanceOf(Map);
    expect([...map.keys()]).toEqual(['k', 2, 'back']);
    expect(map.get('k')).toEqual({ v: 1 });
    expect(map.get('back')).toBe(o);
    expect(o.set).toBeInstanceOf(Set);
    expect([...(o.set as Set<unknown>)]).toEqual([1, 'two', 3]);
    expect(o.date).toBeInstanceOf(Date);
    expect((o.date as Date).getTime()).toBe(5);
    expect(o.re).toBeInstanceOf(RegExp);
    expect(String(o.re)).toBe('/ab+c/gi');
    expect(o.bytes).toBeInstanceOf(Uint8Array);
    expect([...(o.bytes as Uint8Array)]).toEqual([1, 2, 3]);
    expect(o.f64).toBeInstanceOf(Float64Array);
    expect([...(o.f64 as Float64Array)]).toEqual([1.5, -2]);
    expect(o.i64).toBeInstanceOf(BigInt64Array);
    expect([...(o.i64 as BigInt64Array)]).toEqual([-5n]);
    expect(o.buffer).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(o.buffer as ArrayBuffer)]).toEqual([9, 8]);
    expect(o.error).toBeInstanceOf(Error);
    expect(o.error).toMatchObject({ name: 'TypeError', message: 'bad thing', code: 'E_BAD' });
    expect((o.sparse as unknown[]).length).toBe(3);
    expect((o.sparse as unknown[])[2]).toBe(3);
  });

  it('hands functions over both ways: host functions are callable in the sandbox, sandbox functions from the host', async () => {
    const ns = await make({ root }).import('./membrane/data.mjs');
    const calls: unknown[][] = [];
    const host = (...args: unknown[]) => {
      calls.push(args);
      return 'host result';
    };
    expect(await fn(ns, 'call')(host, 1, 'a', { o: true })).toBe('host result');
    expect(calls).toEqual([[1, 'a', { o: true }]]);
    // The sandbox hands a function to the host, which calls it (the call returns a promise).
    const product = await fn(ns, 'handOut')(async (multiply: Fn) => multiply(6, 7));
    expect(product).toBe(42);
    const own = fn(ns, 'own');
    expect(await own()).toBe('own');
  });

  it('keeps identity over a round trip: a function that goes out and comes back is itself', async () => {
    const ns = await make({ root }).import('./membrane/data.mjs');
    const host = () => 1;
    expect(await fn(ns, 'echo')(host)).toBe(host);
    expect(await fn(ns, 'same')(host, host)).toBe(true);
    expect(await fn(ns, 'twice')(host)).toBe(true);
    await fn(ns, 'remember')(host);
    expect(await fn(ns, 'isRemembered')(host)).toBe(true);
    expect(await fn(ns, 'isRemembered')(() => 1)).toBe(false);
    // A sandbox function the host holds goes back in as the sandbox's own function.
    expect(await fn(ns, 'isOwn')(ns.own)).toBe(true);
    expect(await fn(ns, 'echo')(ns.own)).toBe(ns.own);
  });

  it('carries an own "__proto__" key as data both ways, polluting no prototype on either side', async () => {
    const ns = await make({ root, policy: false }).import('./membrane/proto-key.mjs');
    const out = (await fn(ns, 'protoKey')()) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(out.plain).toBe(1);
    expect((out as { polluted?: unknown }).polluted).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    const seen = await fn(ns, 'receivesProtoKey')(JSON.parse('{"__proto__": {"polluted": "from host"}}'));
    expect(seen).toEqual({ own: true, protoIsObject: true, inheritedHere: true, value: 'from host' });
  });

  it('rejects (does not leave pending) a host promise whose value cannot cross', async () => {
    const ns = await make({ root, deadline: 5_000 }).import('./membrane/data.mjs');
    const deep = () => {
      let value: Record<string, unknown> = {};
      for (let i = 0; i < 300; i++) value = { value };
      return value;
    };
    const seen = await fn(ns, 'awaitUncopyable')(async () => deep());
    expect(seen).toEqual({ settled: 'rejected', name: 'MembraneError', code: 'ERR_SANDBOX_MEMBRANE', own: true });
  });

  it('copies data, not references: an object that goes in and comes back is an equal copy', async () => {
    const ns = await make({ root }).import('./membrane/data.mjs');
    const data = { a: [1, { b: 2 }] };
    const back = await fn(ns, 'echo')(data);
    expect(back).toEqual(data);
    expect(back).not.toBe(data);
  });
});

describeEach('membrane refusals', ({ make }) => {
  const REFUSED: Array<[name: string, reason: RegExp, path?: string]> = [
    ['getter', /"x" is a getter or setter/, 'return value.x'],
    ['setter', /"x" is a getter or setter/, 'return value.x'],
    ['nestedGetter', /getter or setter/, 'return value.outer.list[0].x'],
    ['arrayGetter', /getter or setter/],
    ['errorGetter', /getter or setter/],
    ['proxy', /Proxy/],
    ['proxyArray', /Proxy/],
    ['proxyFunction', /Proxy/],
    ['nestedProxy', /Proxy/, 'return value.inner'],
    ['proxyInMap', /Proxy/],
    ['resolvesToGetter', /getter or setter/],
    ['resolvesToProxy', /Proxy/],
  ];

  it.each(REFUSED)('refuses %s with a MembraneError, running none of its code', async (name, reason, path) => {
    const ns = await make({ root }).import('./membrane/refused.mjs');
    const error = await rejection(fn(ns, name)());
    expect(error).toBeInstanceOf(MembraneError);
    expect(error.code).toBe('ERR_SANDBOX_MEMBRANE');
    expect(error.message).toMatch(reason);
    if (path !== undefined) expect(error.path).toBe(path);
    expect(await fn(ns, 'counter')()).toBe(0);
  });

  it('copies around a proxy in the prototype chain and never calls toString, valueOf, toJSON or toPrimitive', async () => {
    const ns = await make({ root }).import('./membrane/refused.mjs');
    expect(await fn(ns, 'proxyPrototype')()).toEqual({ ok: 1 });
    const converted = (await fn(ns, 'conversions')()) as Record<string | symbol, unknown>;
    expect(typeof converted.toString).toBe('function');
    expect(typeof converted.valueOf).toBe('function');
    expect(await fn(ns, 'counter')()).toBe(0);
  });

  it('refuses getters and proxies the sandbox passes to host functions: the sandbox gets a sandbox error, the host function never runs', async () => {
    let hostCalls = 0;
    const ns = await make({ root }).import('./membrane/refused.mjs');
    const hostFn = () => {
      hostCalls++;
    };
    expect(await fn(ns, 'passToHost')(hostFn)).toEqual({ threw: true, name: 'MembraneError', code: 'ERR_SANDBOX_MEMBRANE', own: true });
    expect(await fn(ns, 'passProxyToHost')(hostFn)).toEqual({
      threw: true,
      name: 'MembraneError',
      code: 'ERR_SANDBOX_MEMBRANE',
      own: true,
    });
    expect(hostCalls).toBe(0);
    expect(await fn(ns, 'counter')()).toBe(0);
  });

  it('describes console arguments for the host without running their getters, traps or toString', async () => {
    const lines: unknown[][] = [];
    const ns = await make({
      root,
      console: (_level, args) => {
        lines.push(args);
      },
    }).import('./membrane/refused.mjs');
    await fn(ns, 'logs')();
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines[0])).toMatch(/getter/);
    expect(JSON.stringify(lines[0])).toMatch(/Proxy/);
    expect(await fn(ns, 'counter')()).toBe(0);
  });

  it('refuses a namespace whose export is a getter-bearing object, and runs nothing of it', async () => {
    const sandbox = make({ root });
    const error = await rejection(sandbox.import('./membrane/namespace-getter.mjs'));
    expect(error).toBeInstanceOf(MembraneError);
    expect(error.path).toBe('bad.x');
    // The same module instance (already evaluated), read through a re-export that leaves `bad` behind.
    const ns = await sandbox.evaluate('export { counter } from "./namespace-getter.mjs";', { filename: 'membrane/read-counter.mjs' });
    expect(await fn(ns, 'counter')()).toBe(0);
  });
});
