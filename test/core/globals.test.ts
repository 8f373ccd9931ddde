/**
 * The sandbox's own globals: `console` (routed to the `console` option, silent by default) and
 * the timers (every callback a bounded turn). Errors nobody caught inside the sandbox (a throwing
 * timer callback, an unhandled rejection) reach `onError`, never the host process.
 */
import { expect, it, vi } from 'vitest';
import { SandboxError, TimeoutError } from '../../src/index.js';
import type { ConsoleLevel } from '../../src/index.js';
import { describeEach, fixtures } from '../helpers/sandbox.js';

const root = fixtures('turns');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await sleep(5);
  }
}

describeEach('globals', ({ make }) => {
  it('routes every console level to the `console` option with copied arguments', async () => {
    const calls: Array<[ConsoleLevel, unknown[]]> = [];
    const sandbox = make({ root, console: (level, args) => calls.push([level, args]) });
    const ns = await sandbox.import<{ afterLog: () => Promise<{ n: number; getterRan: boolean }> }>('./console.mjs');
    expect(calls.map(([level]) => level)).toEqual(['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'table', 'log']);
    const [first, info, warn, error, debug, , dir, table, described] = calls.map(([, args]) => args);
    // A copy taken when logging: the sandbox changed `data.n` to 2 afterwards.
    expect(first).toEqual(['log', 1, { n: 1, list: [1, 2], nested: { ok: true } }]);
    expect(await ns.afterLog()).toEqual({ n: 2, getterRan: false });
    // Host values: plain host objects, not sandbox objects behind a host face.
    expect(Object.getPrototypeOf(first![2])).toBe(Object.prototype);
    expect(Object.getPrototypeOf((first![2] as { list: unknown }).list)).toBe(Array.prototype);
    expect(info).toEqual(['info']);
    expect(warn).toEqual(['warn', null, undefined]);
    expect(error![0]).toBe('error');
    expect(error![1]).toBeInstanceOf(Error);
    expect((error![1] as Error).message).toBe('shown, not thrown');
    expect(debug).toEqual(['debug', 10n]);
    expect(dir).toEqual([{ dir: true }]);
    expect(table).toEqual([[{ a: 1 }]]);
    // Functions and getters are described, never run or handed over.
    expect(described![0]).toBe('described');
    expect(described![1]).toBe('[Function: named]');
    expect(typeof (described![2] as { lazy: unknown }).lazy).toBe('string');
  });

  it('is silent by default: nothing reaches the host console or stdout', async () => {
    const spies = [
      vi.spyOn(console, 'log'),
      vi.spyOn(console, 'info'),
      vi.spyOn(console, 'warn'),
      vi.spyOn(console, 'error'),
      vi.spyOn(console, 'debug'),
      vi.spyOn(console, 'trace'),
      vi.spyOn(console, 'dir'),
      vi.spyOn(console, 'table'),
    ];
    const stdout = vi.spyOn(process.stdout, 'write');
    const stderr = vi.spyOn(process.stderr, 'write');
    try {
      const sandbox = make({ root });
      const ns = await sandbox.import<{ afterLog: () => Promise<{ n: number }> }>('./console.mjs');
      expect((await ns.afterLog()).n).toBe(2); // the module ran to its end
      await sleep(20);
      for (const spy of [...spies, stdout, stderr]) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of [...spies, stdout, stderr]) spy.mockRestore();
    }
  });

  it('provides setTimeout, setInterval, clearTimeout, clearInterval and queueMicrotask', async () => {
    const sandbox = make({ root });
    const ns = await sandbox.import('./timers.mjs');
    expect(ns.default).toEqual(['timeout', 'interval:3', 'sync', 'microtask', 'args']);
    expect(ns.ids).toEqual(['number', 'number']);
  });

  it('runs timer callbacks and microtasks as bounded turns', async () => {
    const errors: Error[] = [];
    const sandbox = make({ root, timeout: 100, onError: (error) => errors.push(error) });
    expect((await sandbox.import('./microtask-spin.mjs')).default).toBe('armed');
    await waitFor(() => errors.length > 0);
    expect(errors[0]).toBeInstanceOf(TimeoutError);
    await waitFor(() => sandbox.disposed);
  });

  it('reports an error thrown in a timer callback to onError with the user location', async () => {
    const errors: Error[] = [];
    const sandbox = make({ root, onError: (error) => errors.push(error) });
    await sandbox.import('./timer-throws.mjs');
    await waitFor(() => errors.length > 0);
    const [error] = errors as [SandboxError];
    expect(error).toBeInstanceOf(SandboxError);
    expect(error).toMatchObject({
      code: 'ERR_SANDBOX_THROWN',
      sandboxName: 'TypeError',
      url: new URL('timer-throws.mjs', root).href,
      line: 3,
      column: 9,
    });
    expect(error.message).toContain('thrown in a timer');
    expect(error.frame).toContain("> 3 |   throw new TypeError('thrown in a timer');");
    expect(error.stack).toContain(`at boom (${new URL('timer-throws.mjs', root).href}:3:9)`);
    // One throwing callback does not kill the sandbox.
    expect(sandbox.disposed).toBe(false);
    expect((await sandbox.evaluate('export default 7')).default).toBe(7);
  });

  it('routes uncaught timer errors to the console at error level when there is no onError', async () => {
    const calls: Array<[ConsoleLevel, unknown[]]> = [];
    const sandbox = make({ root, console: (level, args) => calls.push([level, args]) });
    await sandbox.import('./timer-throws.mjs');
    await waitFor(() => calls.length > 0);
    expect(calls[0]![0]).toBe('error');
    expect(String(calls[0]![1][0])).toMatch(/^Uncaught .*thrown in a timer/);
  });

  it('drops unhandled rejections silently when there is neither onError nor console', async () => {
    const hostRejections: unknown[] = [];
    const spy = (reason: unknown) => {
      hostRejections.push(reason);
    };
    process.on('unhandledRejection', spy);
    try {
      const sandbox = make({ root });
      expect((await sandbox.import('./unhandled.mjs')).default).toBe('still fine');
      await sleep(100);
      expect(hostRejections).toEqual([]);
      expect(sandbox.disposed).toBe(false);
      expect((await sandbox.evaluate('export default 9')).default).toBe(9);
    } finally {
      process.off('unhandledRejection', spy);
    }
  });

  it('bounds describing an unhandled rejection: a looping getter ends in one TimeoutError', async () => {
    const errors: Error[] = [];
    const sandbox = make({ root, timeout: 100, onError: (error) => errors.push(error) });
    expect((await sandbox.import('./unhandled-looping.mjs')).default).toBe('armed');
    await waitFor(() => sandbox.disposed);
    await sleep(50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(TimeoutError);
  });

  it('keeps unhandled rejections away from the host and reports them to onError', async () => {
    const hostRejections: unknown[] = [];
    const spy = (reason: unknown) => {
      hostRejections.push(reason);
    };
    process.on('unhandledRejection', spy);
    try {
      const errors: Error[] = [];
      const sandbox = make({ root, onError: (error) => errors.push(error) });
      expect((await sandbox.import('./unhandled.mjs')).default).toBe('still fine');
      await waitFor(() => errors.length >= 2);
      await sleep(50); // give the host's own rejection tracking a chance to fire, if it would
      expect(hostRejections).toEqual([]);
      expect(errors.every((e) => e instanceof SandboxError)).toBe(true);
      const byName = Object.fromEntries(errors.map((e) => [(e as SandboxError).sandboxName, e as SandboxError]));
      expect(byName.Error).toMatchObject({ line: 2, url: new URL('unhandled.mjs', root).href });
      expect(byName.Error!.message).toContain('rejected at top level');
      expect(byName.RangeError).toMatchObject({ line: 4 });
      expect(byName.RangeError!.message).toContain('rejected in a timer');
      expect(sandbox.disposed).toBe(false);
      expect((await sandbox.evaluate('export default 8')).default).toBe(8);
    } finally {
      process.off('unhandledRejection', spy);
    }
  });
});
