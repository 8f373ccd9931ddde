/**
 * The host ↔ worker call path, whatever carries it (issue 14): many calls in flight on one thread
 * keep their answers straight, a payload far larger than a small message crosses intact among
 * small ones, a thread that dies mid-call fails the call instead of leaving it waiting, a call
 * after dispose fails, and what a sandbox prints before it returns is there when the call settles.
 * Worker tests use dist/: `npm run build` first.
 */
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { DeadlineError, DisposedError, type Sandbox } from '../../src/index.js';
import { normalizeOptions } from '../../src/sandbox/options.js';
import type { Inbound } from '../../src/worker/carrier.js';
import { WorkerThread } from '../../src/worker/thread.js';
import { WorkerSandbox } from '../../src/worker/worker-sandbox.js';
import { describeEach, fixtures, rejection } from '../helpers/sandbox.js';

const root = fixtures('worker');

type Echo = (value: unknown) => Promise<unknown>;
const ECHO = `export const echo = (value) => value; export const add = (a, b) => a + b;
  export const later = (value, ms) => new Promise((resolve) => setTimeout(() => resolve(value), ms));`;

describeEach(
  'the call path',
  (kit) => {
    it('keeps the answers of many calls in flight straight, across two sandboxes of one thread', async () => {
      // Both on the shared lane's carrier: their envelopes share one channel.
      const [a, b] = [kit.make({ root }), kit.make({ root })];
      type Ns = { add(x: number, y: number): Promise<number>; echo: Echo; later(value: unknown, ms: number): Promise<unknown> };
      const [nsA, nsB] = await Promise.all([a.evaluate<Ns>(ECHO), b.evaluate<Ns>(ECHO)]);
      // Numbers, strings, undefined, nested data, Maps and Dates: small and plain, and not.
      const values = (i: number): unknown[] => [
        i,
        `s${i}`,
        undefined,
        { i, list: [i, -0, null] },
        new Map([[i, new Date(i)]]),
        [undefined, i],
      ];
      const calls: Array<Promise<unknown>> = [];
      const expected: unknown[] = [];
      for (let i = 0; i < 300; i++) {
        const value = values(i)[i % 6];
        // Answers that come back out of order too: each waits for a timer of its own.
        calls.push(nsA.add(i, 1), (i % 2 === 0 ? nsA : nsB).echo(value), (i % 3 === 0 ? nsB : nsA).later(`l${i}`, (7 * i) % 11));
        expected.push(i + 1, value, `l${i}`);
      }
      const answers = await Promise.all(calls);
      expect(answers).toEqual(expected);
      // -0 survives (toEqual would take 0 for it).
      expect(Object.is((answers[3 * 3 + 1] as { list: number[] }).list[1], -0)).toBe(true);
    });

    it('carries a payload far larger than a small message, both ways, in order among small calls', async () => {
      const ns = await kit.make({ root }).evaluate<{ echo: Echo }>(ECHO);
      const text = 'é'.repeat(200_000);
      const bytes = Uint8Array.from({ length: 100_000 }, (_, i) => i % 251);
      const deep = { rows: Array.from({ length: 1_000 }, (_, i) => ({ i, name: `row ${i}` })) };
      const [t, n1, b, n2, d] = await Promise.all([ns.echo(text), ns.echo(1), ns.echo(bytes), ns.echo(2), ns.echo(deep)]);
      expect(t).toBe(text);
      expect([n1, n2]).toEqual([1, 2]);
      expect(b).toEqual(bytes);
      expect(d).toEqual(deep);
    });

    it('rejects a call made after dispose, and one in flight when the sandbox is disposed', async () => {
      const sandbox = kit.make({ root });
      const ns = await sandbox.evaluate<{ slow(): Promise<number>; echo: Echo }>(
        `${ECHO} export const slow = () => new Promise((resolve) => setTimeout(() => resolve(1), 2_000));`,
      );
      const inFlight = ns.slow();
      await sandbox.dispose();
      expect(await rejection(inFlight)).toBeInstanceOf(DisposedError);
      expect(await rejection(ns.echo(1))).toBeInstanceOf(DisposedError);
    });

    it('delivers what the sandbox printed before it returned, in order, before the call settles', async () => {
      const lines: unknown[] = [];
      const ns = await kit
        .make({ root, console: (_level, args) => lines.push(args[0]) })
        .evaluate<{ run(i: number): Promise<number> }>('export function run(i) { console.log(`a${i}`); console.log(`b${i}`); return i; }');
      const settled: number[] = [];
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          ns.run(i).then((value) => {
            // Both lines of this call, and of every call before it, are already here.
            expect(lines.slice(0, 2 * (i + 1))).toEqual(Array.from({ length: i + 1 }, (_, j) => [`a${j}`, `b${j}`]).flat());
            settled.push(value);
          }),
        ),
      );
      expect(settled).toEqual(Array.from({ length: 50 }, (_, i) => i));
    });
  },
  ['worker', 'process'],
);

describe('the call path: a worker thread that dies mid-call', () => {
  const inThread = (thread: WorkerThread): Sandbox => {
    const options = { root, isolation: 'worker' as const, timeout: 10_000, deadline: 20_000 };
    return new WorkerSandbox(options, normalizeOptions(options), thread);
  };

  it('rejects the call at once, never leaves it waiting; the host carries on', async () => {
    const thread = new WorkerThread();
    const sandbox = inThread(thread);
    const ns = await sandbox.evaluate<{ spin(): Promise<number> }>(
      'export function spin() { const until = Date.now() + 5_000; while (Date.now() < until); return 1; }',
    );
    const call = ns.spin();
    // The thread ends as if it crashed: not through the carrier, which would fail its tenants first.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    await (thread as unknown as { worker: Worker }).worker.terminate();
    const error = await rejection(call);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(error).toBeInstanceOf(DisposedError);
    expect(sandbox.disposed).toBe(true);
    expect(await rejection(ns.spin())).toBeInstanceOf(DisposedError);
    // The host is alive and other sandboxes work.
    const fresh = new WorkerThread();
    const other = inThread(fresh);
    expect((await other.evaluate<{ default: number }>('export default 6 * 7')).default).toBe(42);
    await other.dispose();
    fresh.retire();
  });
});

describe('the call path: messages to the worker', () => {
  /** A thread that records what it hands its worker. */
  class CountingThread extends WorkerThread {
    readonly sent: Inbound[] = [];
    /** Set: messages are lost on the way, as to a worker stuck for good. */
    drop = false;
    /** Whether the thread keeps the host process alive now. */
    kept = false;
    protected override deliver(message: Inbound): void {
      this.sent.push(message);
      if (!this.drop) super.deliver(message);
    }
    protected override keepAlive(on: boolean): void {
      this.kept = on;
      super.keepAlive(on);
    }
  }
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
  const options = { root, isolation: 'worker' as const };

  it('create, evaluate, dispose is two messages: the creation rides on the first request, and dispose expects no answer', async () => {
    const thread = new CountingThread();
    const sandbox = new WorkerSandbox(options, normalizeOptions(options), thread);
    expect(thread.sent).toEqual([]);
    expect((await sandbox.evaluate<{ default: number }>('export default 1 + 1')).default).toBe(2);
    await sandbox.dispose();
    const ops = () => thread.sent.map((m) => [(m.body as { op: string }).op, m.init !== undefined]);
    // Nobody waits for the farewell: it leaves once the caller's turn is over, not on its path.
    expect(ops()).toEqual([['evaluate', true]]);
    await nextTurn();
    expect(ops()).toEqual([
      ['evaluate', true],
      ['dispose', false],
    ]);
    // The worker built it and let it go: a second sandbox in the same thread still works.
    const other = new WorkerSandbox(options, normalizeOptions(options), thread);
    expect((await other.evaluate<{ default: number }>('export default 6 * 7')).default).toBe(42);
    await other.dispose();
    thread.retire();
  });

  it('farewells of sandboxes disposed in one turn leave together, after it, each to its own sandbox', async () => {
    const thread = new CountingThread();
    const sandboxes = [1, 2, 3].map(() => new WorkerSandbox(options, normalizeOptions(options), thread));
    await Promise.all(sandboxes.map((s) => s.evaluate('export default 1')));
    thread.sent.length = 0;
    for (const sandbox of sandboxes) void sandbox.dispose();
    expect(thread.sent).toEqual([]);
    await nextTurn();
    expect(thread.sent.map((m) => [m.sandbox, (m.body as { op: string }).op])).toEqual([
      [1, 'dispose'],
      [2, 'dispose'],
      [3, 'dispose'],
    ]);
    // The worker dropped them: a new sandbox in the thread works.
    const other = new WorkerSandbox(options, normalizeOptions(options), thread);
    expect((await other.evaluate<{ default: number }>('export default 7')).default).toBe(7);
    await other.dispose();
    thread.retire();
  });

  it('a call whose arguments structured clone refuses fails at once and leaves nothing holding the host process', async () => {
    const thread = new CountingThread();
    const sandbox = new WorkerSandbox(options, normalizeOptions(options), thread);
    const ns = await sandbox.evaluate<{ echo: Echo }>(ECHO);
    expect(thread.kept).toBe(false);
    const error = await rejection(ns.echo(Symbol('not cloneable')));
    expect(error.name).toBe('DataCloneError');
    // Nothing pending: the thread does not keep the process alive for an answer that never comes.
    expect(thread.kept).toBe(false);
    expect(await ns.echo(5)).toBe(5);
    expect(thread.kept).toBe(false);
    await sandbox.dispose();
    thread.retire();
  });

  it('a sandbox disposed before any request costs its worker nothing, and its siblings are unaffected', async () => {
    const thread = new CountingThread();
    const unused = new WorkerSandbox(options, normalizeOptions(options), thread);
    const used = new WorkerSandbox(options, normalizeOptions(options), thread);
    await unused.dispose();
    expect(unused.disposed).toBe(true);
    expect(thread.sent).toEqual([]);
    expect((await used.evaluate<{ default: number }>('export default 3')).default).toBe(3);
    expect(await rejection(unused.evaluate('export default 1'))).toBeInstanceOf(DisposedError);
    expect(thread.sent.map((m) => m.sandbox)).toEqual([2]);
    await used.dispose();
    thread.retire();
  });

  it('a request the worker never answers fails at its own deadline plus the grace, after earlier requests were answered', async () => {
    const thread = new CountingThread();
    const deadline = 200;
    const limited = { ...options, deadline };
    const sandbox = new WorkerSandbox(limited, normalizeOptions(limited), thread);
    const ns = await sandbox.evaluate<{ f(x: number): Promise<number> }>('export function f(x) { return x + 1 }');
    expect(await ns.f(1)).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    thread.drop = true;
    const sent = performance.now();
    const error = await rejection(ns.f(2));
    const waited = performance.now() - sent;
    expect(error).toBeInstanceOf(DeadlineError);
    // Its own deadline and the host's 1 s grace, not the earlier requests' (which were due 300 ms sooner).
    expect(waited).toBeGreaterThanOrEqual(deadline + 1_000 - 50);
    expect(waited).toBeLessThan(deadline + 1_000 + 2_000);
    expect(sandbox.disposed).toBe(true);
    expect(thread.alive).toBe(false);
    // The host carries on: a sandbox on another thread works.
    const fresh = new WorkerThread();
    const other = new WorkerSandbox(options, normalizeOptions(options), fresh);
    expect((await other.evaluate<{ default: number }>('export default 5')).default).toBe(5);
    await other.dispose();
    fresh.retire();
  });
});
