/**
 * Shared by the metering-bypass catalogue (issue #14): how a case is run and what counts as
 * stopped. The catalogue must hold with Node's per-turn watchdog and keep holding once turns are
 * metered by injected budget checks, so every check here is about outcomes (a typed error, a
 * bounded wall time, a host that serves on), never about how the bound is enforced.
 */
import { expect } from 'vitest';
import { DisposedError, TimeoutError } from '../../src/index.js';
import type { ModuleNamespace, Sandbox, SandboxOptions } from '../../src/index.js';
import { guardHost } from '../helpers/host.js';
import type { IsolationKit } from '../helpers/sandbox.js';
import { call, hostApi, rejection, root } from './support.js';

/** Small enough to keep the suite quick, large enough that a loaded machine does not time out an import. */
export const TIMEOUT = 250;
const DEADLINE = 2_000;
/**
 * Wall time from the call to its outcome: the timeout plus a generous margin for a loaded 2-core
 * machine (and the thread hop of worker and process isolation). Far below "hung".
 */
export const BOUND = { context: TIMEOUT + 2_000, worker: TIMEOUT + 4_000, process: TIMEOUT + 4_000 } as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface MeteringKit {
  make(extra?: SandboxOptions): Sandbox;
  /** Import `file`, call `name(...args)`: it must end in TimeoutError within BOUND, the sandbox disposed. */
  expectTimeout(file: string, name: string, ...args: unknown[]): Promise<void>;
  /**
   * Work that runs after the call returned (a timer, a finalizer): the sandbox dies of it within
   * BOUND of `started`, with a TimeoutError reported to onError or among `observed` (what calls
   * in flight at the time rejected with), whose message matches `during` (the kind of turn).
   */
  expectDiesLater(ns: ModuleNamespace, sandbox: Sandbox, started: number, observed?: unknown[], during?: RegExp): Promise<void>;
  /** Import `file`, call `name(...args)`: it must end in a RangeError of the sandbox, which lives on. */
  expectRangeError(file: string, name: string, ...args: unknown[]): Promise<void>;
  /** Register a value the host received, for the canary scan. */
  seen<T>(value: T): T;
}

export function meteringKit(kit: IsolationKit): MeteringKit {
  const host = guardHost(kit);
  const make = (extra: SandboxOptions = {}) =>
    kit.make(
      host.observe({
        root,
        policy: false,
        timeout: TIMEOUT,
        deadline: DEADLINE,
        modules: { 'host:api': hostApi() },
        ...extra,
      }),
    );
  const bound = BOUND[kit.isolation];

  return {
    make,
    seen: host.seen,
    async expectTimeout(file, name, ...args) {
      const sandbox = make();
      const ns = await sandbox.import(file);
      const started = performance.now();
      const error = host.seen(await rejection(call(ns, name, ...args)));
      const elapsed = performance.now() - started;
      expect(error, `${name}: ${String(error)}`).toBeInstanceOf(TimeoutError);
      expect(elapsed, `${name} took ${Math.round(elapsed)} ms`).toBeLessThan(bound);
      expect(sandbox.disposed).toBe(true);
      await expect(call(ns, 'ok')).rejects.toBeInstanceOf(DisposedError);
    },
    async expectDiesLater(ns, sandbox, started, observed = [], during = /./) {
      while (!sandbox.disposed && performance.now() - started < bound) await sleep(10);
      expect(sandbox.disposed, `still alive ${Math.round(performance.now() - started)} ms later`).toBe(true);
      const reported = [...host.log, ...observed].filter((entry) => entry instanceof TimeoutError && during.test(entry.message));
      expect(reported.length, `seen: ${[...host.log, ...observed].map(String).join('; ')}`).toBeGreaterThan(0);
      await expect(call(ns, 'ok')).rejects.toBeInstanceOf(DisposedError);
    },
    async expectRangeError(file, name, ...args) {
      const sandbox = make();
      const ns = await sandbox.import(file);
      const started = performance.now();
      const error = host.seen(await rejection(call(ns, name, ...args)));
      expect(performance.now() - started).toBeLessThan(bound);
      expect(error.name, `${name}: ${String(error)}`).toBe('SandboxError');
      expect(String(error.message)).toMatch(/^RangeError/);
      expect(sandbox.disposed).toBe(false);
      expect(await call(ns, 'ok')).toBe('alive');
    },
  };
}
