/**
 * Promise hygiene: nothing a sandbox hands the host may crash it, hang it, or run sandbox code
 * the host did not ask for. Each test runs under guardHost, which arms the host's own
 * `unhandledRejection` listener and fails on anything that reaches it.
 * - Thenables: a host `await` of a sandbox thenable adopts it as a promise under the sandbox's
 *   limits (a looping `then` ends in TimeoutError, a silent one in DeadlineError).
 * - Promises that leave a sandbox settle within `deadline` of being awaited, or with
 *   `DisposedError` at `dispose()`; the sandbox lives on after such a deadline.
 * - Promises esm-sandbox hands out (calls, imports) that reject with nobody listening go to
 *   `onError`: a callback fired and forgotten by a host function, a callback that outlived its
 *   sandbox, calls pending at `dispose()`.
 * - A host function that calls a sandbox callback runs it before it returns (context, worker).
 */
import { expect, it } from 'vitest';
import { DeadlineError, DisposedError, SandboxError, TimeoutError } from '../../src/index.js';
import type { Sandbox } from '../../src/index.js';
import { guardHost } from '../helpers/host.js';
import { describeEach, fixtures } from '../helpers/sandbox.js';
import { call, rejection } from './support.js';

const root = fixtures('security/hygiene');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
type Fn = (...args: unknown[]) => unknown;

describeEach('security: host hygiene', (kit) => {
  const host = guardHost(kit);
  const events: string[] = [];
  let kept: Fn | undefined;
  const api = {
    callMe: (fn: Fn) => {
      const result = fn({ x: 1 });
      events.push('host returned');
      return result;
    },
    fireAndForget: (fn: Fn) => {
      fn();
    },
    keep: (fn: Fn) => {
      kept = fn;
    },
    note: (what: string) => {
      events.push(what);
    },
    pending: () => new Promise(() => {}),
  };
  const make = (options: { timeout?: number; deadline?: number } = {}): Sandbox => {
    events.length = 0;
    kept = undefined;
    return kit.make(host.observe({ root, policy: false, timeout: 250, ...options, modules: { 'host:hygiene': api } }));
  };

  it('a host await of a sandbox thenable adopts it under the limits: a then that loops, throws, calls back twice or never', async () => {
    // Each on a sandbox of its own: a looping `then` ends its sandbox.
    const awaited = async (name: string) => {
      const sandbox = make({ deadline: 300 });
      const ns = await sandbox.import('./thenables.mjs');
      const outcome = await Promise.resolve(ns[name]).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      return { ...host.seen(outcome), disposed: sandbox.disposed } as {
        value?: unknown;
        error?: Error & { disposed?: boolean };
        disposed: boolean;
      };
    };
    const looping = await awaited('loopingThen');
    expect(looping.error).toBeInstanceOf(TimeoutError);
    expect(looping.disposed).toBe(true);
    const throwing = await awaited('throwingThen');
    expect(throwing.error).toBeInstanceOf(SandboxError);
    expect(throwing.error!.message).toMatch(/then threw/);
    expect(throwing.disposed).toBe(false);
    expect(await awaited('twiceThen')).toEqual({ value: 'first', disposed: false });
    const silent = await awaited('silentThen');
    expect(silent.error).toBeInstanceOf(DeadlineError);
    expect(silent.error!.disposed).toBe(false);
    expect(silent.disposed).toBe(false);
    // A class whose prototype has the `then`: the same adopter.
    expect((await awaited('instance')).error).toBeInstanceOf(TimeoutError);
    // Thenables below the top are data with an adopter, run only when awaited.
    const ns = await make().import('./thenables.mjs');
    expect(host.seen(ns.nested)).toEqual({ list: [{ then: expect.any(Function) }], inner: { then: expect.any(Function) } });
    // A thenable returned by a call, and one adopted inside the sandbox (it settles there, in a turn).
    expect(await call(ns, 'adoptedInside')).toBe('adopted in the sandbox');
    expect(await rejection(call(ns, 'makeThenable'))).toBeInstanceOf(TimeoutError);
  });

  it('a namespace with a `then` export: the host await of import() adopts it, and a looping one ends in TimeoutError', async () => {
    const sandbox = make();
    expect(await rejection(sandbox.import('./then-export.mjs'))).toBeInstanceOf(TimeoutError);
    expect(sandbox.disposed).toBe(true);
  });

  it('a sandbox promise that never settles rejects with DeadlineError once awaited past the deadline; the sandbox lives on', async () => {
    const sandbox = make({ deadline: 300 });
    const ns = await sandbox.import('./thenables.mjs');
    const started = performance.now();
    const error = await rejection(ns.never as Promise<unknown>);
    expect(error).toBeInstanceOf(DeadlineError);
    expect(error.disposed).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(sandbox.disposed).toBe(false);
    expect(await (ns.later as Promise<unknown>)).toBe('settled late');
    expect(await call(ns, 'adoptedInside')).toBe('adopted in the sandbox');
  });

  it('a sandbox promise nobody awaits starts no clock and reports nothing', async () => {
    const sandbox = make({ deadline: 100 });
    await sandbox.import('./thenables.mjs');
    await sleep(250);
    expect(host.log).toEqual([]);
    expect(sandbox.disposed).toBe(false);
  });

  it('dispose() while the host awaits a sandbox promise or a call: both reject with DisposedError', async () => {
    const sandbox = make();
    const ns = await sandbox.import('./thenables.mjs');
    const awaited = rejection(ns.never as Promise<unknown>);
    const calling = rejection(call(ns, 'waitsOnHost'));
    // And the same, with nobody listening: nothing may surface as the host's unhandled rejection.
    void call(ns, 'waitsOnHost');
    await sleep(20);
    await sandbox.dispose();
    expect(await awaited).toBeInstanceOf(DisposedError);
    expect(await calling).toBeInstanceOf(DisposedError);
    await sleep(20);
    expect(host.log).toEqual([]);
  });

  it('a host function that calls a sandbox callback runs it before it returns, and gets a settled promise of its value (process isolation: after)', async () => {
    const ns = await make().import('./thenables.mjs');
    expect(await call(ns, 'callsBack')).toBe(2);
    // A documented difference (docs/ISOLATIONS.md): a child's parent cannot block on
    // IPC, so there the callback runs after the host function returns.
    expect(events).toEqual(kit.isolation === 'process' ? ['host returned', 'callback ran'] : ['callback ran', 'host returned']);
  });

  it('nested calls sandbox → host → sandbox, five deep, each run inside the host function that made it (process isolation: after)', async () => {
    const ns = await make().import('./thenables.mjs');
    expect(await call(ns, 'nest', 5)).toBe(5);
    const levels = () => events.filter((e) => e.startsWith('level'));
    if (kit.isolation === 'process') await expect.poll(() => levels().length).toBe(6);
    else expect(levels()).toEqual(['level 0', 'level 1', 'level 2', 'level 3', 'level 4', 'level 5']);
  });

  it('a callback that throws inside a host function: the host function gets a rejected promise, the sandbox its error', async () => {
    const ns = await make().import('./thenables.mjs');
    const error = await rejection(call(ns, 'callsBackThrowing'));
    expect(error).toBeInstanceOf(SandboxError);
    expect(error.message).toMatch(/callback threw/);
    expect(host.log).toEqual([]);
  });

  it('a callback that loops inside a host function ends in TimeoutError near the timeout; the host serves on', async () => {
    const sandbox = make({ timeout: 200 });
    const ns = await sandbox.import('./thenables.mjs');
    const started = performance.now();
    expect(await rejection(call(ns, 'callsBackLooping'))).toBeInstanceOf(TimeoutError);
    expect(performance.now() - started).toBeLessThan(kit.isolation === 'context' ? 1_500 : 4_000);
    expect(sandbox.disposed).toBe(true);
    // A sandbox on the same thread (or child) answers, nested calls included.
    const next = await make().import('./thenables.mjs');
    expect(await call(next, 'nest', 2)).toBe(2);
  });

  it('a callback a host function fired and forgot, that throws: its error goes to onError, not to the host process', async () => {
    const ns = await make().import('./thenables.mjs');
    expect(await call(ns, 'fireAndForgetThrow')).toBe('fired');
    await sleep(50);
    expect(host.log).toHaveLength(1);
    expect(String((host.log[0] as Error).message)).toMatch(/callback failed/);
  });

  it('a callback that outlives its sandbox rejects with DisposedError, awaited or not', async () => {
    const sandbox = make();
    const ns = await sandbox.import('./thenables.mjs');
    expect(await call(ns, 'keepCallback')).toBe('kept');
    expect(await kept!(21)).toBe(42);
    await sandbox.dispose();
    expect(await rejection(kept!(1) as Promise<unknown>)).toBeInstanceOf(DisposedError);
    void kept!(2);
    await sleep(20);
    expect(host.log).toEqual([]);
  });
});
