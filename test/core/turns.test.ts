/**
 * Turns: every way sandbox code can refuse to give the thread back ends in a typed error within
 * about `timeout` (per turn; Node's watchdog measures wall clock) or `deadline` (wall clock per
 * operation); the sandbox is dead
 * afterwards and the host keeps serving other sandboxes. dispose() stops timers and in-flight work.
 */
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { createSandbox, DeadlineError, DisposedError, TimeoutError } from '../../src/index.js';
import type { Sandbox, SandboxOptions } from '../../src/index.js';
import { describeEach, fixtures } from '../helpers/sandbox.js';

const root = fixtures('turns');
/**
 * Node's `timeout` is a wall-clock watchdog, not CPU time: on a loaded 2-core machine a trivial
 * first turn in a fresh worker was measured past 10 ms (1 in 10 runs). 100 ms keeps the
 * non-looping turns of these tests clear of it; deadline tests raise it out of the way.
 */
const TIMEOUT = 100;
const DEADLINE = 300;
/**
 * Loose upper bounds: far below "hung forever" (the 30 s test timeout), well above the limits plus,
 * for a worker, its start on a busy 2-core machine (and the host's 1 s grace past the deadline).
 */
const BOUNDS = {
  context: { timeout: 1_000, deadline: 1_500 },
  worker: { timeout: 4_000, deadline: 5_000 },
  process: { timeout: 4_000, deadline: 5_000 },
} as const;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function failure(work: Promise<unknown>): Promise<{ error: unknown; elapsed: number }> {
  const started = performance.now();
  try {
    await work;
  } catch (error) {
    return { error, elapsed: performance.now() - started };
  }
  throw new Error('expected the operation to fail');
}

async function waitFor(check: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await sleep(5);
  }
}

describeEach('turns', ({ isolation, make }) => {
  const TIMEOUT_BOUND = BOUNDS[isolation].timeout;
  const DEADLINE_BOUND = BOUNDS[isolation].deadline;
  const limited = (extra: SandboxOptions = {}) => make({ root, timeout: TIMEOUT, deadline: DEADLINE, ...extra });
  /** For deadline tests: a timeout far above the deadline, so only the deadline can end them. */
  const deadlined = () => limited({ timeout: 5_000 });

  it('a deadline longer than a Node timer can wait (2^31 - 1 ms) does not fail the operation at once', async () => {
    // Node fires such a timer after 1 ms: every awaited operation used to end in DeadlineError.
    const sandbox = limited({ deadline: 3e9 });
    const ns = await sandbox.evaluate('export const later = () => new Promise((resolve) => setTimeout(() => resolve("on time"), 50));');
    expect(await (ns.later as () => Promise<string>)()).toBe('on time');
    expect(sandbox.disposed).toBe(false);
  });

  /** The sandbox is dead for good, and another sandbox of the same isolation still works. */
  async function expectDeadAndHostFine(sandbox: Sandbox): Promise<void> {
    expect(sandbox.disposed).toBe(true);
    await expect(sandbox.import('./ok.mjs')).rejects.toBeInstanceOf(DisposedError);
    await expect(sandbox.evaluate('export default 1')).rejects.toMatchObject({ code: 'ERR_SANDBOX_DISPOSED' });
    const fresh = make({ root });
    expect((await fresh.import('./ok.mjs')).default).toBe(42);
  }

  it('stops a synchronous infinite loop with a TimeoutError', async () => {
    const sandbox = limited();
    const { error, elapsed } = await failure(sandbox.import('./sync-loop.mjs'));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: 'ERR_SANDBOX_TIMEOUT', timeout: TIMEOUT });
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT * 0.9);
    expect(elapsed).toBeLessThan(TIMEOUT_BOUND);
    await expectDeadAndHostFine(sandbox);
  });

  it('stops a microtask loop with a TimeoutError', async () => {
    const sandbox = limited();
    const { error, elapsed } = await failure(sandbox.import('./microtask-loop.mjs'));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: 'ERR_SANDBOX_TIMEOUT' });
    expect(elapsed).toBeLessThan(TIMEOUT_BOUND);
    await expectDeadAndHostFine(sandbox);
  });

  it('stops a loop a timer starts after the import returned, and reports it via onError', async () => {
    const errors: Error[] = [];
    const sandbox = limited({ onError: (error) => errors.push(error) });
    expect((await sandbox.import('./later-loop.mjs')).default).toBe('armed');
    const started = performance.now();
    await waitFor(() => errors.length > 0);
    expect(performance.now() - started).toBeLessThan(TIMEOUT_BOUND);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(TimeoutError);
    expect(errors[0]).toMatchObject({ code: 'ERR_SANDBOX_TIMEOUT', message: expect.stringContaining('timer') });
    await waitFor(() => sandbox.disposed);
    await expectDeadAndHostFine(sandbox);
  });

  it('stops a loop after a top-level await with a TimeoutError for the import', async () => {
    const errors: Error[] = [];
    const sandbox = limited({ onError: (error) => errors.push(error) });
    const { error, elapsed } = await failure(sandbox.import('./await-then-loop.mjs'));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(elapsed).toBeLessThan(TIMEOUT_BOUND);
    await sleep(20);
    expect(errors).toEqual([]); // the import's caller was told; nobody else needs to be
    await expectDeadAndHostFine(sandbox);
  });

  it('stops a loop started when a bridged host promise settles, and reports it via onError', async () => {
    const errors: Error[] = [];
    const sandbox = limited({
      onError: (error) => errors.push(error),
      modules: { 'app:host': { later: () => new Promise<void>((resolve) => setTimeout(resolve, 10)) } },
    });
    expect((await sandbox.import('./after-host-promise.mjs')).default).toBe('armed');
    await waitFor(() => errors.length > 0);
    expect(errors[0]).toBeInstanceOf(TimeoutError);
    await waitFor(() => sandbox.disposed);
    await expectDeadAndHostFine(sandbox);
  });

  it('reports a timer loop on the next operation when there is no onError', async () => {
    const sandbox = limited();
    await sandbox.import('./later-loop.mjs');
    await waitFor(() => sandbox.disposed);
    const { error } = await failure(sandbox.import('./ok.mjs'));
    expect(error).toBeInstanceOf(DisposedError);
    expect((error as Error).message).toMatch(/timeout/);
  });

  it('stops an async loop across timers with a DeadlineError', async () => {
    const sandbox = deadlined();
    const { error, elapsed } = await failure(sandbox.import('./async-loop.mjs'));
    expect(error).toBeInstanceOf(DeadlineError);
    expect(error).toMatchObject({ code: 'ERR_SANDBOX_DEADLINE', deadline: DEADLINE });
    expect(elapsed).toBeGreaterThanOrEqual(DEADLINE * 0.9);
    expect(elapsed).toBeLessThan(DEADLINE_BOUND);
    await expectDeadAndHostFine(sandbox);
  });

  it('stops an exported function that loops when the host calls it', async () => {
    const sandbox = limited();
    const ns = await sandbox.import<{ spin: () => Promise<void>; ready: boolean }>('./exported-loop.mjs');
    expect(ns.ready).toBe(true);
    const { error, elapsed } = await failure(ns.spin());
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: 'ERR_SANDBOX_TIMEOUT' });
    expect(elapsed).toBeLessThan(TIMEOUT_BOUND);
    await expect(ns.spin()).rejects.toBeInstanceOf(DisposedError);
    await expectDeadAndHostFine(sandbox);
  });

  it('stops a microtask loop an exported function leaves behind, within the same call', async () => {
    const sandbox = limited();
    const ns = await sandbox.import<{ spinMicrotasks: () => Promise<string> }>('./exported-loop.mjs');
    const { error, elapsed } = await failure(ns.spinMicrotasks());
    expect(error).toBeInstanceOf(TimeoutError);
    expect(elapsed).toBeLessThan(TIMEOUT_BOUND);
    await expectDeadAndHostFine(sandbox);
  });

  it('stops an exported async function that loops across timers with a DeadlineError', async () => {
    const sandbox = deadlined();
    const ns = await sandbox.import<{ spinAsync: () => Promise<void> }>('./exported-loop.mjs');
    const { error, elapsed } = await failure(ns.spinAsync());
    expect(error).toBeInstanceOf(DeadlineError);
    expect(error).toMatchObject({ code: 'ERR_SANDBOX_DEADLINE', deadline: DEADLINE });
    expect(elapsed).toBeGreaterThanOrEqual(DEADLINE * 0.9);
    expect(elapsed).toBeLessThan(DEADLINE_BOUND);
    await expectDeadAndHostFine(sandbox);
  });

  it('ends a top-level await that never settles with a DeadlineError', async () => {
    const sandbox = deadlined();
    const { error, elapsed } = await failure(sandbox.import('./never-settles.mjs'));
    expect(error).toBeInstanceOf(DeadlineError);
    expect(error).toMatchObject({ code: 'ERR_SANDBOX_DEADLINE' });
    expect(elapsed).toBeGreaterThanOrEqual(DEADLINE * 0.9);
    expect(elapsed).toBeLessThan(DEADLINE_BOUND);
    await expectDeadAndHostFine(sandbox);
  });

  it('keeps other sandboxes of the host working while one is stuck', async () => {
    const stuck = deadlined();
    const pending = failure(stuck.import('./never-settles.mjs'));
    const other = make({ root });
    expect((await other.import('./ok.mjs')).default).toBe(42);
    const stuckError = (await pending).error as Error;
    expect(stuckError, stuckError.message).toBeInstanceOf(DeadlineError);
    expect(other.disposed).toBe(false);
  });

  it('dispose() cancels pending timers: an interval stops calling its host bridge', async () => {
    let ticks = 0;
    const sandbox = make({
      root,
      modules: {
        'app:ticks': {
          tick: () => {
            ticks++;
          },
        },
      },
    });
    await sandbox.import('./interval.mjs');
    await waitFor(() => ticks >= 3);
    await sandbox.dispose();
    const atDispose = ticks;
    await sleep(100);
    expect(ticks).toBe(atDispose);
    expect(sandbox.disposed).toBe(true);
  });

  it('dispose() rejects in-flight operations with DisposedError', async () => {
    const sandbox = make({ root });
    const ns = await sandbox.import<{ wait: () => Promise<never> }>('./pending-call.mjs');
    const call = failure(ns.wait());
    const load = failure(sandbox.import('./never-settles.mjs'));
    await sleep(20);
    await sandbox.dispose();
    expect((await call).error).toBeInstanceOf(DisposedError);
    expect((await load).error).toBeInstanceOf(DisposedError);
    await expect(sandbox.import('./ok.mjs')).rejects.toMatchObject({ code: 'ERR_SANDBOX_DISPOSED' });
    await sandbox.dispose(); // twice is fine
  });

  it('a loop in a nested turn (sandbox → host → sandbox) is bounded too', async () => {
    const callbackErrors: unknown[] = [];
    const sandbox = limited({
      modules: {
        'app:host': {
          callBack(fn: () => Promise<unknown>) {
            fn().catch((error: unknown) => callbackErrors.push(error));
          },
        },
      },
    });
    const ns = await sandbox.import<{ run: () => Promise<string> }>('./reentrant.mjs');
    const started = performance.now();
    if (isolation !== 'process') {
      // The callback runs inside the caller's turn (in a worker: served inside the worker's wait
      // for the host), and the watchdog ends both.
      const { error } = await failure(ns.run());
      expect(error).toBeInstanceOf(TimeoutError);
    } else {
      // Process: the parent cannot block on IPC, so the host's call back into the worker is an
      // operation of its own, after run() returned.
      expect(await ns.run()).toBe('called');
      await waitFor(() => callbackErrors.length > 0);
      expect(callbackErrors[0]).toBeInstanceOf(TimeoutError);
    }
    expect(performance.now() - started).toBeLessThan(TIMEOUT_BOUND);
    await waitFor(() => sandbox.disposed);
    await expectDeadAndHostFine(sandbox);
  });

  it('dispose() from inside a bridged call: the rest of the turn reaches no host function', async () => {
    let sandbox: Sandbox | undefined;
    let afterCalls = 0;
    const logged: unknown[] = [];
    sandbox = make({
      root,
      console: (_level, args) => logged.push(args),
      modules: {
        'app:host': {
          disposeMe: () => {
            void sandbox!.dispose();
          },
          after: () => {
            afterCalls++;
          },
        },
      },
    });
    const { error } = await failure(sandbox.import('./self-dispose.mjs'));
    expect(error).toBeInstanceOf(DisposedError);
    await sleep(50);
    expect(afterCalls).toBe(0);
    expect(logged).toEqual([]);
    expect(sandbox.disposed).toBe(true);
  });

  it('a sandbox disposed mid-turn cannot keep the host process alive with new timers', async () => {
    // A child process: the test is whether it exits by itself. It runs the compiled package.
    const script = `
      import { createSandbox } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)};
      let sandbox;
      sandbox = createSandbox({ root: ${JSON.stringify(root.href)}, isolation: ${JSON.stringify(isolation)},
        modules: { 'app:host': { disposeMe() { void sandbox.dispose(); } } } });
      try { await sandbox.import('./self-dispose-timer.mjs'); } catch (error) { console.log(error.name); }`;
    const started = performance.now();
    const result = spawnSync(
      process.execPath,
      ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning', '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
        timeout: 15_000,
      },
    );
    expect(result.error).toBeUndefined(); // not killed by the 15 s timeout
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe('DisposedError');
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('supports `await using` through Symbol.asyncDispose', async () => {
    let escaped: Sandbox | undefined;
    {
      await using sandbox = createSandbox({ root, isolation });
      escaped = sandbox;
      expect((await sandbox.import('./ok.mjs')).default).toBe(42);
      expect(sandbox.disposed).toBe(false);
    }
    expect(escaped.disposed).toBe(true);
    await expect(escaped.import('./ok.mjs')).rejects.toBeInstanceOf(DisposedError);
  });
});

it('bounds a FinalizationRegistry cleanup callback: it runs as a timer turn, not whenever the engine collects', () => {
  // A child process with --expose-gc, because the failure is a host that never returns
  // (context isolation: the sandbox's garbage is collected on the host's thread).
  const script = `
    import { createSandbox } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)};
    const errors = [];
    const sandbox = createSandbox({ root: ${JSON.stringify(root.href)}, isolation: 'context', timeout: ${TIMEOUT}, policy: false, onError: (e) => errors.push(e.code) });
    const ns = await sandbox.import('./finalization-loop.mjs');
    console.log(ns.wrapped, await ns.armNative(), await ns.arm());
    for (let i = 0; i < 50 && !sandbox.disposed; i++) { gc(); await new Promise((resolve) => setTimeout(resolve, 20)); }
    console.log(sandbox.disposed ? 'disposed' : 'alive', errors.join());
    const next = createSandbox({ root: ${JSON.stringify(root.href)}, isolation: 'context' });
    console.log((await next.evaluate('export default 6 * 7')).default);`;
  const result = spawnSync(
    process.execPath,
    ['--expose-gc', '--experimental-vm-modules', '--disable-warning=ExperimentalWarning', '--input-type=module', '-e', script],
    {
      encoding: 'utf8',
      timeout: 20_000,
    },
  );
  expect(result.error).toBeUndefined(); // not killed by the 20 s timeout: the host never hung
  expect(result.stderr).toBe('');
  expect(result.stdout.trim().split('\n')).toEqual(['true refused armed', 'disposed ERR_SANDBOX_TIMEOUT', '42']);
});
