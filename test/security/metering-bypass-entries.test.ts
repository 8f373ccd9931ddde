/**
 * Metering-bypass catalogue (issue #14), part 1 of 3: every entry path into sandbox code. A turn
 * may be metered by checks injected into user code, but the sandbox is also entered through
 * paths a transform does not see: a module's evaluation (and its continuation after a top-level
 * await), a host call of an export, a timer, a microtask, an async function resumed by a host
 * promise or a timer, a generator the host drives with `.next()`, a FinalizationRegistry cleanup.
 * Four attacks go through each: a plain loop, a swallowed stack overflow retried (no loop), a loop
 * in a callback a builtin calls, and ReDoS (no user code runs while it backtracks).
 *
 * Already covered elsewhere, not repeated: a sync loop, microtask and queueMicrotask loops, a loop
 * after a timer or a host promise, interval floods (loops.test.ts); a loop in a callback a host
 * function calls (loops.test.ts, host-hygiene.test.ts); a looping `then` the host awaits
 * (host-hygiene.test.ts); a looping finalizer in context isolation with --expose-gc
 * (test/core/turns.test.ts).
 */
import { expect, it } from 'vitest';
import { DisposedError, TimeoutError } from '../../src/index.js';
import { describeEach } from '../helpers/sandbox.js';
import { BOUND, meteringKit } from './metering-support.js';
import { call, rejection } from './support.js';

const file = './metering-entries.mjs';
const ATTACKS = ['loop', 'overflow', 'comparator', 'redos'] as const;

describeEach('security: metering bypasses by entry path', (kit) => {
  const m = meteringKit(kit);

  it.each(['loop', 'overflow', 'comparator', 'redos', 'after-await'])(
    'module evaluation (%s): the import rejects with TimeoutError',
    async (name) => {
      const sandbox = m.make();
      const started = performance.now();
      const error = m.seen(await rejection(sandbox.import(`./metering/${name}.mjs`)));
      expect(error, String(error)).toBeInstanceOf(TimeoutError);
      expect(performance.now() - started).toBeLessThan(BOUND[kit.isolation] + 2_000);
      expect(sandbox.disposed).toBe(true);
    },
  );

  it.each(ATTACKS)('a host call of an export (%s): TimeoutError', (attack) => m.expectTimeout(file, 'direct', attack));

  it.each(ATTACKS)('an async function resumed by a host promise while the host awaits it (%s): TimeoutError', (attack) =>
    m.expectTimeout(file, 'asyncAfterHost', attack),
  );

  it.each(ATTACKS)('an async function resumed by a sandbox timer while the host awaits it (%s): TimeoutError', (attack) =>
    m.expectTimeout(file, 'asyncAfterTimer', attack),
  );

  it.each(ATTACKS)('a promise reaction and a queueMicrotask callback (%s): the sandbox dies of it', async (attack) => {
    for (const name of ['microtask', 'queued']) {
      const sandbox = m.make();
      const ns = await sandbox.import(file);
      const started = performance.now();
      // The queue drains inside the call's own turn, so the call itself may carry the TimeoutError.
      const outcome = await call(ns, name, attack).catch((error: unknown) => error);
      if (outcome instanceof Error) expect(outcome).toBeInstanceOf(TimeoutError);
      else await m.expectDiesLater(ns, sandbox, started);
      expect(sandbox.disposed, name).toBe(true);
    }
  });

  it.each(ATTACKS)('a timer callback and an interval (%s): the sandbox dies of it, reported to onError', async (attack) => {
    for (const name of ['timer', 'interval']) {
      const sandbox = m.make();
      const ns = await sandbox.import(file);
      const started = performance.now();
      expect(await call(ns, name, attack)).toBe('armed');
      await m.expectDiesLater(ns, sandbox, started, [], /during a timer callback/);
    }
  });

  it.each(ATTACKS)('a generator the host resumes with .next() (%s): the second .next() rejects with TimeoutError', async (attack) => {
    const sandbox = m.make();
    const ns = await sandbox.import(file);
    const generator = m.seen(await call(ns, 'generator', attack)) as { next(): Promise<{ value: unknown; done: boolean }> };
    expect(await generator.next()).toEqual({ value: 'first', done: false });
    const started = performance.now();
    expect(m.seen(await rejection(generator.next()))).toBeInstanceOf(TimeoutError);
    expect(performance.now() - started).toBeLessThan(BOUND[kit.isolation]);
    expect(sandbox.disposed).toBe(true);
    await expect(generator.next()).rejects.toBeInstanceOf(DisposedError);
  });

  it.for(ATTACKS)('a FinalizationRegistry cleanup (%s): runs as a bounded timer turn, the sandbox dies of it', async (attack, { skip }) => {
    // A full collection of a big shared heap can pause a churn call past 150 ms; the cleanup runs forever anyway.
    const sandbox = m.make({ timeout: 1_000 });
    const ns = await sandbox.import(file);
    expect(await call(ns, 'finalizer', attack)).toBe('armed');
    // Garbage until the engine collects the registered targets (no --expose-gc needed; a busy
    // machine may take seconds to). The cleanup's turn may end the sandbox while a churn call is in
    // flight, which then rejects with the TimeoutError. An unbounded cleanup would hang the thread:
    // the host instead (context), or the churn call until its DeadlineError (worker, process).
    const observed: unknown[] = [];
    const until = performance.now() + 20_000;
    while (!sandbox.disposed && performance.now() < until) {
      await call(ns, 'churn').catch((error: unknown) => observed.push(error));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // No full collection in 20 s (a big, busy shared heap): nothing was judged, so say so rather than pass.
    if (!sandbox.disposed && observed.length === 0) skip('the engine collected nothing within 20 s');
    const started = performance.now();
    // A churn call cut off on its own would say "during a call of churn()": not this case's proof.
    await m.expectDiesLater(ns, sandbox, started, observed, /during a timer callback/);
  });
});
