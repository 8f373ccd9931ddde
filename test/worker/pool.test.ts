/**
 * `createSandboxPool`: fresh sandboxes spread over warm worker threads, recycled by budget, a
 * crashed thread replaced. Fixtures in fixtures/worker/.
 */
import { describe, expect, it } from 'vitest';
import { createSandboxPool, DisposedError, MemoryLimitError } from '../../src/index.js';
import { fixtures, poolsAt } from '../helpers/sandbox.js';

const root = fixtures('worker');
const EXPECTED_SCORE = 187;
const pool = poolsAt(root);

describe('createSandboxPool', () => {
  it('runs tasks in fresh sandboxes on every thread and disposes of them', async () => {
    const p = pool({ size: 2 });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        p.run(async (sandbox) => {
          const ns = await sandbox.import<{ default: number; score(text: string): Promise<number> }>('./task.mjs');
          // A fresh context per task: a global set by one task is never seen by another.
          const seen = await sandbox.evaluate<{ default: unknown }>(`export default globalThis.marker; globalThis.marker = ${i};`);
          return [ns.default, await ns.score('ab'), seen.default];
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 40 }, () => [EXPECTED_SCORE, 8, undefined]));
    expect(p.stats()).toMatchObject({ threads: 2, started: 2, sandboxes: 0 });
  });

  it('gives back the sandbox when the task throws', async () => {
    const p = pool({ size: 1 });
    let kept: { disposed: boolean } | undefined;
    await expect(
      p.run(async (sandbox) => {
        kept = sandbox;
        throw new Error('task failed');
      }),
    ).rejects.toThrow('task failed');
    expect(kept?.disposed).toBe(true);
    expect(p.stats().sandboxes).toBe(0);
  });

  it('recycles a thread after its budget of contexts, and ends the old one', async () => {
    const p = pool({ size: 1, recycle: { contexts: 4 } });
    for (let i = 0; i < 10; i++) {
      expect(await p.run(async (sandbox) => (await sandbox.import('./task.mjs')).default)).toBe(EXPECTED_SCORE);
    }
    // 10 sandboxes at 4 per thread: three threads served them (plus at most one warm spare).
    const { started, threads } = p.stats();
    expect(started).toBeGreaterThanOrEqual(3);
    expect(started).toBeLessThanOrEqual(4);
    // Retired threads ended with their last sandbox: the current one and a spare at most are left.
    await waitFor(() => p.stats().threads <= 2);
    expect(threads).toBeLessThanOrEqual(3);
  });

  it('replaces a thread that ran out of memory; the sandboxes in it fail with MemoryLimitError', async () => {
    const p = pool({ size: 1, memoryLimitMb: 48, timeout: 20_000, deadline: 30_000 });
    const reported: unknown[] = [];
    const bystander = p.create({ onError: (error) => reported.push(error) });
    await bystander.import('./task.mjs');
    const error = await p.run((sandbox) => sandbox.import('./hog.mjs')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MemoryLimitError);
    // The other sandbox of that thread went down with it, and says so.
    expect(bystander.disposed).toBe(true);
    // It was told when it happened, though no call of its own was under way.
    expect(reported).toHaveLength(1);
    expect(reported[0]).toBeInstanceOf(MemoryLimitError);
    await expect(bystander.import('./task.mjs')).rejects.toBeInstanceOf(DisposedError);
    // The next task gets a new thread.
    expect(await p.run(async (sandbox) => (await sandbox.import('./task.mjs')).default)).toBe(EXPECTED_SCORE);
    expect(p.stats().started).toBeGreaterThanOrEqual(2);
  });

  it('refuses work once closed, and checks its options up front', async () => {
    const p = pool({ size: 1 });
    await p.close();
    expect(() => p.create()).toThrow(DisposedError);
    expect(() => createSandboxPool({ root, size: 0 })).toThrow(TypeError);
    expect(() => createSandboxPool({ root, timeout: -1 })).toThrow(TypeError);
  });
});

async function waitFor(condition: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
