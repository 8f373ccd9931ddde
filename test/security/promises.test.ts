/**
 * Promises: vm2's promise-sanitization escapes (CVE-2023-37466 species, CVE-2026-22709 async
 * function catch), host promises through combinators, `for await`, `yield*` and thenables, a
 * sandbox that attacks its realm's Promise machinery before the host awaits its promises, and
 * unhandled rejections (never a host crash, never the host's own unhandledRejection).
 */
import { expect, it } from 'vitest';
import { describeEach } from '../helpers/sandbox.js';
import { guardHost } from '../helpers/host.js';
import { call, expectAllBlocked, expectAllOwn, hostApi, root } from './support.js';

const file = './promises.mjs';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeEach('security: promises', (kit) => {
  const host = guardHost(kit);
  const load = async () => kit.make(host.observe({ root, policy: false, modules: { 'host:api': hostApi() } })).import(file);

  it('CVE-2023-37466: a Symbol.species fake Promise only ever receives sandbox-realm rejections', async () => {
    const out = host.seen(await call(await load(), 'speciesFakePromise')) as { seen: unknown[]; count: number };
    expect(out.count).toBeGreaterThanOrEqual(1);
    expectAllOwn(out);
    expectAllBlocked(out, out.count, ['EvalError']);
  });

  it('CVE-2026-22709: the promise of an async function and its catch see only sandbox-realm errors', async () => {
    const out = host.seen(await call(await load(), 'asyncFunctionCatch')) as Record<string, unknown>;
    expect(out.viaHost).toBeDefined();
    expectAllOwn(out);
    expectAllBlocked(out, 1, ['EvalError']);
  });

  it('host promises through Promise.all, race, any (AggregateError), allSettled and withResolvers arrive as sandbox values', async () => {
    const out = host.seen(await call(await load(), 'combinators')) as Record<string, unknown>;
    expect(out.hostIsOwnPromise).toBe(true);
    expectAllOwn(out);
    expectAllBlocked(out, 8, ['EvalError']);
  });

  it('for await, yield* in an async generator and awaited thenables hand callbacks only sandbox values', async () => {
    const out = host.seen(await call(await load(), 'iterationAndThenables'));
    expectAllOwn(out);
    expectAllBlocked(out, 5, ['EvalError']);
  });

  it('a bridged promise with an own `then`: awaiting it runs no swapped then, and its value stays sandbox-realm', async () => {
    const out = host.seen(await call(await load(), 'hostPromiseThenSwap')) as Record<string, unknown>;
    expectAllOwn(out);
    expectAllBlocked({ assign: out.assign }, 1, ['TypeError']);
    expectAllBlocked({ value: out.value, fn: out.fnClimb, call: out.call }, 3, ['EvalError']);
  });

  it("the host awaits sandbox promises after the realm's Promise.prototype.then, species and Object.prototype.then were attacked: no host resolver reaches sandbox code", async () => {
    const ns = await load();
    expect(await call(ns, 'patchPromise')).toBe('patched');
    expect(await call(ns, 'poisonObjectThen')).toBe('poisoned');
    expect(host.seen(await call(ns, 'slowValue'))).toEqual({ value: 'slow' });
    expect(await call(ns, 'pendingPromise')).toBe('later');
    const nested = host.seen(await call(ns, 'nested')) as { inner: Promise<unknown> };
    expect(nested.inner).toBeInstanceOf(Promise);
    expect(await nested.inner).toEqual({ deep: true });
    const report = host.seen(await call(ns, 'report')) as { then: unknown[]; assign: unknown };
    // Promise.prototype.then is locked in the realm; the own `then` of each promise never ran.
    expectAllBlocked({ assign: report.assign }, 1, ['TypeError']);
    expect(report.then).toEqual([]);
  });

  it("a thenable returned to the host: its then gets sandbox-realm resolvers, never the host's", async () => {
    const ns = await load();
    expect(await call(ns, 'returnsThenable')).toBe('from thenable');
    const seen = host.seen(await call(ns, 'thenableReport')) as unknown[];
    expect(seen).toHaveLength(2);
    expectAllOwn(seen);
    expectAllBlocked(seen, 2, ['EvalError']);
  });

  it('unhandled rejections (errors, numbers, host errors, proxies, Symbol names) neither crash the host nor surface as its own', async () => {
    const ns = await load();
    expect(await call(ns, 'unhandled')).toBe('left behind');
    await sleep(50);
    // They are reported to onError as host-built values, and the sandbox keeps working.
    expect(host.log.length).toBeGreaterThanOrEqual(1);
    for (const entry of host.log) expect(entry).toBeInstanceOf(Error);
    expect(await call(ns, 'report')).toMatchObject({ then: [] });
  });
});
