/**
 * Memory bombs. `worker` and `process` isolation contain heap exhaustion (`memoryLimitMb` caps the thread's
 * heap): the sandbox fails with MemoryLimitError, the host and other sandboxes live on. `context`
 * isolation shares the host's heap and cannot contain it by design: there the tests check that
 * the limits V8 itself enforces hold (string and array lengths), that asking for a memory cap on
 * a context is refused rather than silently ignored, and that SECURITY.md and the README say so.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { createSandbox, MemoryLimitError } from '../../src/index.js';
import { describeEach } from '../helpers/sandbox.js';
import { guardHost } from '../helpers/host.js';
import { call, rejection, root } from './support.js';

const file = './memory.mjs';
const doc = (name: string) => readFileSync(new URL(`../../${name}`, import.meta.url), 'utf8');

describeEach('security: memory', (kit) => {
  const host = guardHost(kit);

  it('V8 length limits hold in both isolations: a 2^30-char string, a 2^32 array, a 2^53-byte buffer fail with sandbox RangeErrors', async () => {
    const ns = await kit.make(host.observe({ root, policy: false })).import(file);
    for (const name of ['hugeString', 'hugeArray', 'hugeBuffer']) {
      expect(host.seen(await call(ns, name)), name).toEqual({ name: 'RangeError', own: true });
    }
    expect(await call(ns, 'ok')).toBe('alive');
  });

  if (kit.isolation !== 'context') {
    it.each(['objects', 'strings', 'maps'])(
      'a %s heap bomb ends in MemoryLimitError; the host and a bystander sandbox live on',
      async (bomb) => {
        const bystander = kit.make({ root, policy: false });
        const bystanderNs = await bystander.import(file);
        const sandbox = kit.make(host.observe({ root, policy: false, memoryLimitMb: 48, timeout: 20_000, deadline: 30_000 }));
        const ns = await sandbox.import(file);
        const error = host.seen(await rejection(call(ns, bomb)));
        // A string bomb may first hit V8's string length limit (a sandbox RangeError), else the heap cap.
        if (bomb === 'strings' && error.name === 'SandboxError') expect(String(error.message)).toMatch(/RangeError/);
        else expect(error).toBeInstanceOf(MemoryLimitError);
        expect(await call(bystanderNs, 'ok')).toBe('alive');
      },
    );

    it("ArrayBuffer memory (external to the heap, so outside Node's resourceLimits) is held to memoryLimitMb between turns", async () => {
      const sandbox = kit.make(host.observe({ root, policy: false, memoryLimitMb: 48, timeout: 20_000, deadline: 30_000 }));
      const ns = await sandbox.import(file);
      let error: unknown;
      let calls = 0;
      for (; calls < 20 && error === undefined; calls++) {
        error = await call(ns, 'externalBuffers', 1, 16).then(
          () => undefined,
          (e: unknown) => e,
        );
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
      // 48 MB of buffers is the cap: the thread ends within a few 16 MB turns, not after 320 MB.
      expect(calls).toBeLessThanOrEqual(6);
      expect(sandbox.disposed).toBe(true);
      // The thread died during a call (MemoryLimitError), or between calls: then the next call's
      // DisposedError names that death.
      if (!(error instanceof MemoryLimitError)) expect(String((error as Error).message)).toMatch(/exceeded its memory limit of 48 MB/);
      host.seen(error);
    });

    // One turn is held too: every ArrayBuffer allocation path of the realm counts the bytes a turn
    // allocates (src/run/realm-source/memory-cap.ts), so 40 x 32 MB in one call stops at the 48 MB cap.
    it('a single turn is held to memoryLimitMb of ArrayBuffer memory (counted as it allocates)', async () => {
      const sandbox = kit.make(host.observe({ root, policy: false, memoryLimitMb: 48, timeout: 20_000, deadline: 30_000 }));
      const ns = await sandbox.import(file);
      const rss = process.memoryUsage.rss();
      const error = await call(ns, 'externalBuffers', 40, 32).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MemoryLimitError);
      expect(sandbox.disposed).toBe(true);
      expect((process.memoryUsage.rss() - rss) / 1_048_576).toBeLessThan(200);
      host.seen(error);
    });

    it('typed arrays made from iterables, copies and resizes count against the same cap', async () => {
      for (const [name, args] of [
        ['fromIterable', [64]],
        ['copies', [8, 16]],
        ['resizes', [64]],
      ] as const) {
        const sandbox = kit.make(host.observe({ root, policy: false, memoryLimitMb: 48, timeout: 20_000, deadline: 30_000 }));
        const ns = await sandbox.import(file);
        await expect(call(ns, name, ...args)).rejects.toBeInstanceOf(MemoryLimitError);
      }
    });
  } else {
    it('context isolation does not contain memory by design: a memory cap is refused, and the docs say so', () => {
      expect(() => createSandbox({ root, isolation: 'context', memoryLimitMb: 64 })).toThrow(/memoryLimitMb needs isolation "worker"/);
      expect(doc('SECURITY.md')).toMatch(/memory[^|\n]*\|\s*\*\*no\*\*/i);
      expect(doc('README.md')).toMatch(/memory exhaustion in `context` isolation/);
    });
  }
});
