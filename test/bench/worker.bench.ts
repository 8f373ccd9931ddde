/**
 * Issue 4: worker isolation.
 * 1. First import in a new worker sandbox, the thread's start included: under 60 ms median
 *    (a sandbox with `memoryLimitMb` always gets a thread of its own, so each iteration starts one).
 *    Next to it: a new sandbox on the shared lane's warm thread, the usual case.
 * 2. A call of an exported function on a warm worker sandbox, primitive arguments: under 100 µs
 *    median; baseline, the same call on a `context` sandbox.
 * 3. A pool of 2 runs 2,000 small modules at least 1.6x faster than a pool of 1 (2 cores here).
 *
 * Where the time goes (CPU profiles, Node 20, 2 busy cores):
 * 1. A bare worker thread with an empty entry starts in ~30 ms; the rest was loading ~55 ESM
 *    modules one by one (~0.5 ms each), compiling them, and compiling acorn lazily at the first
 *    parse. The build now bundles the worker side into one CommonJS file with a V8 code cache made
 *    after a warm-up (src/worker/boot.cts): ~115 ms → ~50 ms.
 * 2. Per call on a worker sandbox, ~105 µs is the turn itself in the worker: `runInContext` with
 *    `timeout` starts a watchdog thread per turn, more costly in a worker than on the main thread
 *    (~80 µs). The two message hops and both sides' code add ~100 µs more. So under 100 µs needs a
 *    turn without a watchdog thread, which only a host that terminates the worker on overrun could
 *    bound; that kills every sandbox sharing the thread, so it is not done (see the report of
 *    issue 4's performance work).
 * 3. A pool task is ~2.5 ms of worker CPU (a context ~0.6 ms, its hardening ~0.4 ms, the bounded
 *    evaluation ~0.4 ms, GC). What a pool of 1 gets for free on the second core and a pool of 2
 *    does not: starting and ending recycled threads (~55 ms of CPU each), reading heap statistics
 *    on every reply (was 0.2 ms per task, now sampled), GC threads. Threads now take 128 contexts
 *    (was 64), the next one starts at half the budget, and a spent thread keeps serving while its
 *    successor loads instead of queueing sandboxes behind the start.
 *
 * Run: npx vitest bench --run test/bench/worker.bench.ts
 */
import { bench, describe } from 'vitest';
import { createSandbox, createSandboxPool, type Sandbox } from '../../src/index.js';
import { MedianReport } from './support/report.js';

const root = new URL('../../fixtures/worker/', import.meta.url);
const SOURCE = 'export default 1 + 1';
const TASKS = 2_000;

const names = {
  cold: 'new worker sandbox + first import, own thread (start included)',
  warm: 'new worker sandbox + first import, warm shared thread',
  contextCall: 'call of an exported function, context sandbox',
  workerCall: 'call of an exported function, warm worker sandbox',
  pool1: `pool of 1: ${TASKS} small modules`,
  pool2: `pool of 2: ${TASKS} small modules`,
} as const;

const report = new MedianReport('issue 4: worker isolation', [
  { name: names.cold, maxMedian: 60 },
  { name: names.warm },
  { name: names.contextCall, unit: 'ns' },
  { name: names.workerCall, baseline: names.contextCall, unit: 'ns', maxMedian: 100_000 },
  { name: names.pool1 },
  { name: names.pool2, baseline: names.pool1, maxRatio: 1 / 1.6 },
], Object.values(names));

async function firstImport(sandbox: Sandbox): Promise<void> {
  if ((await sandbox.evaluate(SOURCE)).default !== 2) throw new Error('unexpected result');
  await sandbox.dispose();
}

async function runTasks(size: number): Promise<void> {
  const pool = createSandboxPool({ root, size });
  let next = 0;
  const worker = async () => {
    while (next < TASKS) {
      next++;
      const value = await pool.run(async (sandbox) => (await sandbox.import('./task.mjs')).default);
      if (value !== 187) throw new Error('unexpected result');
    }
  };
  // Enough tasks in flight to keep every thread busy.
  await Promise.all(Array.from({ length: size * 4 }, worker));
  await pool.close();
}

describe('worker isolation', async () => {
  const contextSandbox = createSandbox({ root, isolation: 'context' });
  const workerSandbox = createSandbox({ root, isolation: 'worker' });
  const source = 'export function add(a, b) { return a + b; }';
  const contextAdd = (await contextSandbox.evaluate(source)).add as (a: number, b: number) => Promise<number>;
  const workerAdd = (await workerSandbox.evaluate(source)).add as (a: number, b: number) => Promise<number>;

  bench(names.cold, ...report.bench(names.cold, () => firstImport(createSandbox({ root, isolation: 'worker', memoryLimitMb: 128 })), 30, 3));
  bench(names.warm, ...report.bench(names.warm, () => firstImport(createSandbox({ root, isolation: 'worker' })), 200, 20));
  bench(names.contextCall, ...report.bench(names.contextCall, async () => { await contextAdd(1, 2); }, 2_000, 200));
  bench(names.workerCall, ...report.bench(names.workerCall, async () => { await workerAdd(1, 2); }, 2_000, 200));
  bench(names.pool1, ...report.bench(names.pool1, () => runTasks(1), 3, 1));
  bench(names.pool2, ...report.bench(names.pool2, () => runTasks(2), 3, 1));
});
