/**
 * CPU denial of service: sync loops, microtask and queueMicrotask loops (which escape node:vm's
 * `timeout` in the default microtask mode), loops after a timer or a host promise, async loops
 * across timers, interval floods, loops in callbacks the host calls, ReDoS, Atomics.wait,
 * WebAssembly, and deep recursion (stack and membrane depth). Each ends in a typed error within
 * loose bounds, never a hang; the host serves another sandbox afterwards.
 */
import { expect, it } from 'vitest';
import { DeadlineError, DisposedError, MembraneError, TimeoutError } from '../../src/index.js';
import { describeEach } from '../helpers/sandbox.js';
import { guardHost } from '../helpers/host.js';
import { call, hostApi, rejection, root } from './support.js';

const file = './loops.mjs';
const TIMEOUT = 100;
const DEADLINE = 600;
/** Far below "hung" (the 30 s test timeout), above the limits plus a worker's start on a busy 2-core machine. */
const BOUND = { context: 3_000, worker: 6_000, process: 6_000 } as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeEach('security: loops and CPU', (kit) => {
  const host = guardHost(kit);
  const make = (extra = {}) =>
    kit.make(host.observe({ root, policy: false, timeout: TIMEOUT, deadline: DEADLINE, modules: { 'host:api': hostApi() }, ...extra }));

  async function expectStopped(name: string, kind: typeof TimeoutError | typeof DeadlineError, extra = {}) {
    const sandbox = make(extra);
    const ns = await sandbox.import(file);
    const started = performance.now();
    const error = host.seen(await rejection(call(ns, name)));
    expect(performance.now() - started).toBeLessThan(BOUND[kit.isolation]);
    expect(error, `${name}: ${String(error)}`).toBeInstanceOf(kind);
    expect(sandbox.disposed).toBe(true);
  }

  /** Work left behind (timers, microtasks) after a call returned: the sandbox dies of it, reported via onError. */
  async function expectStoppedLater(name: string) {
    const sandbox = make();
    const ns = await sandbox.import(file);
    const value = await call(ns, name).catch((error: unknown) => error);
    if (value instanceof Error) expect(value).toBeInstanceOf(TimeoutError);
    const until = Date.now() + BOUND[kit.isolation];
    while (!sandbox.disposed && Date.now() < until) await sleep(10);
    expect(sandbox.disposed, `${name} left the sandbox alive`).toBe(true);
    await expect(call(ns, 'ok')).rejects.toBeInstanceOf(DisposedError);
  }

  it('a synchronous infinite loop: TimeoutError', () => expectStopped('sync', TimeoutError));
  it('Node #3020 / vm2 #180 shape: a promise-microtask loop is bounded by the same timeout', () => expectStoppedLater('microtasks'));
  it('a queueMicrotask loop is bounded by the same timeout', () => expectStoppedLater('queueMicrotaskLoop'));
  it('vm2 #329 shape: a loop started by a timer after the call returned is stopped', () => expectStoppedLater('afterTimer'));
  it('an interval flood (1000 intervals) is stopped', () => expectStoppedLater('intervalFlood'));
  it('background work paced by a host promise (each settlement turn under the timeout) is stopped by the background budget', () =>
    expectStoppedLater('settleFlood'));

  it('ordinary background work (a 20 ms interval doing 2 ms) is left alone by the background budget', async () => {
    const sandbox = make();
    const ns = await sandbox.import(file);
    expect(await call(ns, 'gentleInterval')).toBe('started');
    await sleep(1_200);
    expect(sandbox.disposed).toBe(false);
    expect(await call(ns, 'tickCount')).toBeGreaterThan(10);
  });

  it('a loop after awaiting a host promise: TimeoutError for the call', () => expectStopped('asyncAfterHostPromise', TimeoutError));
  it('an async loop across timers: DeadlineError', () => expectStopped('asyncForever', DeadlineError, { timeout: 5_000 }));
  it('a loop in a sandbox callback the host calls is bounded', () => expectStopped('inCallback', TimeoutError));
  it('CVE-2017-16137 class ReDoS: catastrophic backtracking is stopped by the timeout', () => expectStopped('redos', TimeoutError));
  it('ReDoS with nested quantifiers over words is stopped by the timeout', () => expectStopped('redosBackreference', TimeoutError));

  it('Atomics.wait: Atomics, SharedArrayBuffer and WebAssembly.Memory are absent, so nothing can block the thread', async () => {
    const ns = await make().import(file);
    const error = host.seen(await rejection(call(ns, 'atomicsWait')));
    expect(error.name).toBe('SandboxError');
    expect(String(error.message)).toMatch(/ReferenceError|TypeError/);
    expect(await call(ns, 'atomicsOnPlainBuffer')).toBe('undefined');
  });

  it('WebAssembly is absent from the realm (code generation for wasm is refused too)', async () => {
    const ns = await make().import(file);
    expect(await call(ns, 'webAssembly')).toBe('no WebAssembly');
    const error = host.seen(await rejection(call(ns, 'webAssemblyViaGlobal')));
    expect(String(error.message)).toMatch(/TypeError|ReferenceError/);
  });

  it('deep recursion and a deeply nested JSON.parse fail with sandbox-realm errors; the sandbox lives on', async () => {
    const ns = await make({ timeout: 5_000 }).import(file);
    expect(await call(ns, 'deepRecursion')).toEqual({ name: 'RangeError', own: true });
    expect(await call(ns, 'deepJson')).toMatchObject({ own: true });
    expect(await call(ns, 'ok')).toBe('alive');
  });

  it('a result nested 100000 deep is refused by the membrane with a MembraneError, not a host stack overflow', async () => {
    const sandbox = make({ timeout: 5_000 });
    const ns = await sandbox.import(file);
    const error = host.seen(await rejection(call(ns, 'deepResult')));
    expect(error).toBeInstanceOf(MembraneError);
    expect(await call(ns, 'ok')).toBe('alive');
  });
});
