/**
 * Issue 11: process isolation, each against worker isolation in the same run.
 * 1. New sandbox on a warm pool + first import of a small module (two files): under 5 ms median.
 *    Baseline: the same on a warm pool of worker threads.
 * 2. A call of an exported function on a warm process sandbox: at most 3x the worker figure.
 *    The two are timed back to back in each iteration, so both see the same machine load.
 *    Next to it, the floor the relay adds: a bare IPC round trip to an echo child
 *    (`serialization: 'advanced'`, as the carrier uses).
 * 3. For docs/BENCHMARKS.md: a sandbox with a carrier of its own (`memoryLimitMb`), start included.
 *
 * Run: npx vitest bench --run test/bench/process.bench.ts
 */
import { spawn } from 'node:child_process';
import { bench, describe } from 'vitest';
import { library } from './support/library.js';
import type { SandboxPool } from '../../src/index.js';
import { MedianReport } from './support/report.js';

const { createSandbox, createSandboxPool } = library;

const root = new URL('../../fixtures/worker/', import.meta.url);
const EXPECTED = 187;

const names = {
  workerPool: 'worker pool: new sandbox + first import of a small module',
  processPool: 'process pool: new sandbox + first import of a small module',
  calls: 'calls, worker and process back to back',
  workerCall: 'call of an exported function, warm worker sandbox',
  processCall: 'call of an exported function, warm process sandbox',
  ipc: 'floor: IPC round trip to an echo child (advanced serialization)',
  workerCold: 'new worker sandbox + first import, own thread (start included)',
  processCold: 'new process sandbox + first import, own child (start included)',
} as const;

const report = new MedianReport(
  'issue 11: process isolation',
  [
    { name: names.workerPool },
    { name: names.processPool, baseline: names.workerPool, maxMedian: 5 },
    { name: names.workerCall, unit: 'ns' },
    { name: names.processCall, baseline: names.workerCall, unit: 'ns', maxRatio: 3 },
    { name: names.ipc, unit: 'ns' },
    { name: names.workerCold },
    { name: names.processCold, baseline: names.workerCold },
  ],
  [names.workerPool, names.processPool, names.calls, names.ipc, names.workerCold, names.processCold],
);

/** A sandbox with `memoryLimitMb` gets a carrier of its own: each iteration starts one. */
async function cold(isolation: 'worker' | 'process'): Promise<void> {
  const sandbox = createSandbox({ root, isolation, memoryLimitMb: 128 });
  if ((await sandbox.evaluate('export default 1 + 1')).default !== 2) throw new Error('unexpected result');
  await sandbox.dispose();
}

async function task(pool: SandboxPool): Promise<void> {
  const value = await pool.run(async (sandbox) => (await sandbox.import('./task.mjs')).default);
  if (value !== EXPECTED) throw new Error('unexpected result');
}

/** A warm pool: its lane's first child (or thread) started and serving. */
async function warmPool(isolation: 'worker' | 'process'): Promise<SandboxPool> {
  const pool = createSandboxPool({ root, size: 1, isolation });
  for (let i = 0; i < 5; i++) await task(pool);
  return pool;
}

function echoChild(): { roundTrip(): Promise<void>; close(): void } {
  const child = spawn(process.execPath, ['-e', "process.on('message', (m) => process.send(m))"], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  return {
    roundTrip: () =>
      new Promise<void>((resolve) => {
        child.once('message', () => resolve());
        child.send({ sandbox: 1, body: { id: 1, op: 'call', fn: 1, args: [1, 2] } });
      }),
    close: () => {
      child.kill();
    },
  };
}

describe('process isolation', async () => {
  const workerPool = await warmPool('worker');
  const processPool = await warmPool('process');
  const source = 'export function add(a, b) { return a + b; }';
  const workerAdd = (await createSandbox({ root, isolation: 'worker' }).evaluate(source)).add as (a: number, b: number) => Promise<number>;
  const processAdd = (await createSandbox({ root, isolation: 'process' }).evaluate(source)).add as (
    a: number,
    b: number,
  ) => Promise<number>;
  const echo = echoChild();
  await echo.roundTrip();

  bench(names.workerPool, ...report.bench(names.workerPool, () => task(workerPool), 200, 20));
  bench(names.processPool, ...report.bench(names.processPool, () => task(processPool), 200, 20));
  bench(
    names.calls,
    ...report.benchParts(
      names.calls,
      [names.workerCall, names.processCall],
      async (time) => {
        await time(names.workerCall, () => workerAdd(1, 2));
        await time(names.processCall, () => processAdd(1, 2));
      },
      2_000,
      200,
    ),
  );
  bench(
    names.ipc,
    ...report.bench(
      names.ipc,
      async () => {
        await echo.roundTrip();
      },
      2_000,
      200,
    ),
  );
  bench(
    names.workerCold,
    ...report.bench(
      names.workerCold,
      async () => {
        echo.close();
        await cold('worker');
      },
      20,
      2,
    ),
  );
  bench(names.processCold, ...report.bench(names.processCold, () => cold('process'), 20, 2));
});
