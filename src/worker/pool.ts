/**
 * `createSandboxPool`: sandboxes spread over several worker threads (or child processes, with
 * `isolation: 'process'`), so a server can use every core. Each task gets a fresh sandbox (a new context) in the least busy lane's warm thread and
 * gives it back when done; threads are recycled by budget and a crashed one is replaced, all
 * without the caller noticing.
 */
import { availableParallelism } from 'node:os';
import { DisposedError } from '../errors/errors.js';
import { nextSandboxName, normalizeOptions } from '../sandbox/options.js';
import type { Sandbox, SandboxOptions } from '../types.js';
import { ThreadLane, type RecycleBudget } from './lane.js';
import { startCarrier, WorkerSandbox } from './worker-sandbox.js';

export interface SandboxPoolOptions extends Omit<SandboxOptions, 'isolation' | 'memoryLimitMb'> {
  /** Worker threads. Default: the machine's available parallelism. */
  size?: number;
  /**
   * `worker` (default): lanes of worker threads in this process. `process`: lanes of child
   * processes, each hosting one worker thread, which survive what kills a whole process (docs/ISOLATIONS.md).
   */
  isolation?: 'worker' | 'process';
  /** When a thread is recycled. */
  recycle?: RecycleBudget;
  /**
   * Heap cap of each thread, in MB. A sandbox that outgrows it fails with `MemoryLimitError`, and
   * so do the others in its thread at that moment; the pool replaces the thread.
   */
  memoryLimitMb?: number;
}

export interface SandboxPoolStats {
  /** Worker threads (or child processes) running now (current, warm spares, and retired ones still serving sandboxes). */
  threads: number;
  /** Worker threads (or child processes) started since the pool was created. */
  started: number;
  /** Sandboxes alive now. */
  sandboxes: number;
}

export interface SandboxPool extends AsyncDisposable {
  /** Worker threads the pool runs on. */
  readonly size: number;
  /**
   * Run `task` with a fresh sandbox (the pool's options, plus `overrides`) and dispose of it
   * afterwards, whatever the task did. Resolves to what the task returned.
   */
  run<T>(task: (sandbox: Sandbox) => Promise<T>, overrides?: Omit<SandboxOptions, 'isolation' | 'memoryLimitMb'>): Promise<T>;
  /** A fresh sandbox in the least busy thread; the caller disposes of it. */
  create(overrides?: Omit<SandboxOptions, 'isolation' | 'memoryLimitMb'>): Sandbox;
  /** Stop taking tasks; threads end as their sandboxes are disposed. */
  close(): Promise<void>;
  stats(): SandboxPoolStats;
}

export function createSandboxPool(options: SandboxPoolOptions = {}): SandboxPool {
  const { size = availableParallelism(), recycle, memoryLimitMb, isolation = 'worker', ...defaults } = options;
  if (isolation !== 'worker' && isolation !== 'process')
    throw new TypeError(`isolation must be "worker" or "process" for a pool, got ${String(isolation)}`);
  if (memoryLimitMb !== undefined && !(memoryLimitMb >= 8))
    throw new TypeError(`memoryLimitMb must be at least 8, got ${String(memoryLimitMb)}`);
  if (!Number.isInteger(size) || size < 1) throw new TypeError(`size must be a positive integer, got ${String(size)}`);
  // Fail at creation on a bad option, not at the first task. Tasks without overrides reuse this
  // (realpath and stat of the root, the allow-list: ~0.06 ms of host time per task otherwise);
  // the worker still resolves the root's real path for each sandbox it builds.
  const base = normalizeOptions(defaults);
  const lanes = Array.from({ length: size }, () => ({ lane: new ThreadLane(recycle, memoryLimitMb, startCarrier(isolation)), busy: 0 }));
  let closed = false;

  const noOverrides: Omit<SandboxOptions, 'isolation' | 'memoryLimitMb'> = {};
  const create = (overrides: Omit<SandboxOptions, 'isolation' | 'memoryLimitMb'> = noOverrides): Sandbox & { lane?: number } => {
    if (closed) throw new DisposedError('its pool is closed');
    let pick = lanes[0]!;
    for (const candidate of lanes) if (candidate.busy < pick.busy) pick = candidate;
    const merged: SandboxOptions = { ...defaults, ...overrides, isolation };
    const normalized = overrides === noOverrides ? { ...base, name: defaults.name ?? nextSandboxName() } : normalizeOptions(merged);
    const sandbox = new WorkerSandbox(merged, normalized, pick.lane.acquire(), overrides !== noOverrides);
    pick.busy++;
    sandbox.onEnd(() => {
      pick.busy--;
    });
    return sandbox;
  };

  return {
    size,
    create,
    async run<T>(task: (sandbox: Sandbox) => Promise<T>, overrides?: Omit<SandboxOptions, 'isolation' | 'memoryLimitMb'>): Promise<T> {
      const sandbox = create(overrides);
      try {
        return await task(sandbox);
      } finally {
        await sandbox.dispose();
      }
    },
    stats() {
      return {
        threads: lanes.reduce((n, { lane }) => n + lane.live, 0),
        started: lanes.reduce((n, { lane }) => n + lane.started, 0),
        sandboxes: lanes.reduce((n, { busy }) => n + busy, 0),
      };
    },
    async close() {
      closed = true;
      for (const { lane } of lanes) lane.close();
    },
    [Symbol.asyncDispose]() {
      return this.close();
    },
  };
}
