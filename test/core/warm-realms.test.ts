/**
 * Warm realms (src/run/warm-realms.ts): a new sandbox takes a context made ahead of need. Taking
 * one must not make sandboxes share anything, and the refill must run after the call that took
 * one, not inside it.
 */
import { describe, expect, it } from 'vitest';
import { createSandbox, MemoryLimitError } from '../../src/index.js';
import { warmShells } from '../../src/run/warm-realms.js';
import { ContextSandbox } from '../../src/sandbox/context-sandbox.js';
import { normalizeOptions } from '../../src/sandbox/options.js';

const later = (ms = 20) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const CAP_BYTES = 8 * 1048576;

/** The pool's size once its refills are done: two reads 30 ms apart agree (a loaded machine refills slowly). */
async function filled(cap?: number): Promise<number> {
  let seen = -1;
  for (let i = 0; i < 100 && seen !== warmShells(cap); i++) {
    seen = warmShells(cap);
    await later(30);
  }
  return seen;
}

describe('warm realms', () => {
  it('refills after a take, in a later macrotask, up to a small bound', async () => {
    await createSandbox({ isolation: 'context' }).dispose();
    const full = await filled();
    expect(full).toBeGreaterThan(0);
    const sandbox = createSandbox({ isolation: 'context' });
    expect(warmShells()).toBe(full - 1);
    await Promise.resolve();
    expect(warmShells()).toBe(full - 1);
    expect(await filled()).toBe(full);
    await sandbox.dispose();
    for (let i = 0; i < 10; i++) await later(2);
    expect(warmShells()).toBe(full);
  });

  it('gives each sandbox a realm of its own: globals and prototypes changed in one are not in the next', async () => {
    const first = createSandbox({ isolation: 'context', policy: false });
    await first.evaluate('globalThis.leaked = 1; Array.prototype.leaked = 2; Object.prototype.leaked = 3; export default 0;');
    await first.dispose();
    await later();
    for (let i = 0; i < 3; i++) {
      const next = createSandbox({ isolation: 'context', policy: false });
      const ns = await next.evaluate('export default [typeof globalThis.leaked, typeof [].leaked, typeof {}.leaked];');
      expect(ns.default).toEqual(['undefined', 'undefined', 'undefined']);
      await next.dispose();
    }
  });

  it("routes a warm realm's console and host calls to the sandbox that took it", async () => {
    await later();
    const seen: unknown[] = [];
    const a = createSandbox({
      isolation: 'context',
      console: (_level, args) => seen.push(['a', ...args]),
      modules: { 'app:id': { id: () => 'a' } },
    });
    const b = createSandbox({
      isolation: 'context',
      console: (_level, args) => seen.push(['b', ...args]),
      modules: { 'app:id': { id: () => 'b' } },
    });
    const source = "import { id } from 'app:id'; console.log(id()); export default id();";
    expect((await b.evaluate(source)).default).toBe('b');
    expect((await a.evaluate(source)).default).toBe('a');
    expect(seen).toEqual([
      ['b', 'b'],
      ['a', 'a'],
    ]);
    await Promise.all([a.dispose(), b.dispose()]);
  });

  it('installs the `process` shim only in the realm of a sandbox with packages, never in a warm one left for the next', async () => {
    await later();
    const source = "export default typeof process === 'object' ? process.env.NODE_ENV : typeof process;";
    const withPackages = createSandbox({ isolation: 'context', packages: ['yaml'], nodeEnv: 'test' });
    expect((await withPackages.evaluate(source)).default).toBe('test');
    await withPackages.dispose();
    await later();
    const plain = createSandbox({ isolation: 'context', policy: false });
    expect((await plain.evaluate(source)).default).toBe('undefined');
    await plain.dispose();
  });

  // A worker thread's tenants all carry the thread's heap cap as their allocation cap (4096 MB
  // when none was set): their realms must be warm too, and each must still hold its cap.
  it('keeps shells of the allocation cap last asked for, and each taken one holds that cap', async () => {
    const capped = () => new ContextSandbox(normalizeOptions({ memoryLimitMb: 8, policy: false }));
    await capped().dispose();
    const full = await filled(CAP_BYTES);
    expect(full).toBeGreaterThan(0);
    const sandboxes = [capped()];
    expect(warmShells(CAP_BYTES)).toBe(full - 1);
    sandboxes.push(capped());
    for (const sandbox of sandboxes) {
      await expect(sandbox.evaluate('export default new ArrayBuffer(16 * 1048576).byteLength;')).rejects.toBeInstanceOf(MemoryLimitError);
    }
    await later();
    const plain = createSandbox({ isolation: 'context', policy: false });
    expect((await plain.evaluate('export default new ArrayBuffer(16 * 1048576).byteLength;')).default).toBe(16 * 1048576);
    await Promise.all([...sandboxes, plain].map((sandbox) => sandbox.dispose()));
  });
});
