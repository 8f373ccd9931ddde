/**
 * What kills a whole Node process (issue 11), in `process` isolation: one allocation far past the
 * heap cap (V8's fatal "Reached heap limit" or "invalid size", fatal for every thread of the
 * process), a builtin that ignores the watchdog (`Array(6e7).fill(0)` runs ~50 s and cannot be
 * terminated), ArrayBuffers, a Map without bound, deep recursion. Each runs 5 times: every time
 * the sandbox fails with a typed error, its child is gone, the host is unchanged with no unhandled
 * rejection, a bystander sandbox in another child still answers, and the next sandbox gets a
 * fresh child that works. In `worker` isolation the first two take the host down with them, which
 * is why they are not run there.
 */
import { expect, it } from 'vitest';
import { createSandbox, MemoryLimitError, SandboxCrashedError, TimeoutError } from '../../src/index.js';
import { guardHost } from '../helpers/host.js';
import { childPid, exited } from '../helpers/process.js';
import { describeEach, fixtures, rejection } from '../helpers/sandbox.js';

const root = fixtures('process');
const RUNS = 5;

type Outcome = typeof MemoryLimitError | typeof SandboxCrashedError | typeof TimeoutError;
const CASES: Array<{ name: string; memoryLimitMb: number; timeout: number; outcomes: Outcome[]; metering?: false }> = [
  // V8 dies of the split's array (fatal in a worker: the process goes): memory, every time.
  { name: 'splitDoubled', memoryLimitMb: 128, timeout: 5_000, outcomes: [MemoryLimitError] },
  // Ignores termination: killed after the timeout and the grace, unless memory ran out first.
  { name: 'fillHuge', memoryLimitMb: 128, timeout: 300, outcomes: [SandboxCrashedError, MemoryLimitError] },
  // A global replace whose result is over the cap: V8's fatal heap limit, or stuck past the grace.
  // Unmetered: a metered realm's locked regexp methods take V8's slow path, which the watchdog
  // can stop (the case below).
  { name: 'regexReplace', memoryLimitMb: 64, timeout: 300, outcomes: [MemoryLimitError, SandboxCrashedError], metering: false },
  { name: 'regexReplace', memoryLimitMb: 64, timeout: 300, outcomes: [TimeoutError, MemoryLimitError, SandboxCrashedError] },
  { name: 'typedArrays', memoryLimitMb: 64, timeout: 5_000, outcomes: [MemoryLimitError] },
  { name: 'growMap', memoryLimitMb: 64, timeout: 20_000, outcomes: [MemoryLimitError] },
];

describeEach(
  'security: what kills a process',
  (kit) => {
    const host = guardHost(kit);
    for (const { name, memoryLimitMb, timeout, outcomes, metering } of CASES) {
      it(`${name} (memoryLimitMb ${memoryLimitMb}${metering === false ? ', unmetered' : ''}) fails only its own child, ${RUNS} times out of ${RUNS}`, async () => {
        // In the shared lane's child, which none of the runs may touch.
        const bystanderNs = await kit.make({ root }).import('./hostile.mjs');
        let previous = 0;
        for (let run = 0; run < RUNS; run++) {
          const sandbox = kit.make(host.observe({ root, memoryLimitMb, timeout, deadline: 60_000, metering }));
          const ns = await sandbox.import('./hostile.mjs');
          const pid = childPid(sandbox);
          expect(pid, 'each sandbox with a memory limit has a child of its own').not.toBe(previous);
          previous = pid;
          const error = host.seen(await rejection((ns[name] as () => Promise<unknown>)()));
          expect(
            outcomes.some((kind) => error instanceof kind),
            `run ${run}: ${String(error.stack)}`,
          ).toBe(true);
          expect(sandbox.disposed).toBe(true);
          expect(await exited(pid), `run ${run}: the child ${pid} is still running`).toBe(true);
          expect(await (bystanderNs.ok as () => Promise<unknown>)()).toBe('alive');
        }
        const next = kit.make({ root, memoryLimitMb });
        expect(await ((await next.import('./hostile.mjs')).ok as () => Promise<unknown>)()).toBe('alive');
        expect(childPid(next)).not.toBe(previous);
      });
    }

    it(`deep recursion is a RangeError inside the sandbox, and the sandbox lives on, ${RUNS} times`, async () => {
      const sandbox = kit.make({ root, memoryLimitMb: 64 });
      const ns = await sandbox.import('./hostile.mjs');
      for (let run = 0; run < RUNS; run++) {
        expect(host.seen(await (ns.recurse as () => Promise<unknown>)())).toEqual({ name: 'RangeError', own: true });
      }
      expect(await (ns.ok as () => Promise<unknown>)()).toBe('alive');
    });

    it('a crash names its cause: the stuck turn says it ignored termination', async () => {
      const sandbox = kit.make({ root, memoryLimitMb: 1_024, timeout: 200, deadline: 60_000 });
      const ns = await sandbox.import('./hostile.mjs');
      const started = performance.now();
      const error = host.seen(await rejection((ns.fillHuge as () => Promise<unknown>)()));
      expect(error).toBeInstanceOf(SandboxCrashedError);
      expect(error.code).toBe('ERR_SANDBOX_CRASHED');
      expect(String(error.message)).toMatch(/past its 200 ms timeout .* ignores termination/);
      // Killed after the timeout and its grace (1 s), long before the fill (~50 s) or the deadline.
      expect(performance.now() - started).toBeLessThan(8_000);
    });
  },
  ['process'],
);

it('createSandbox accepts process isolation and refuses an unknown one, naming the option', () => {
  expect(() => createSandbox({ isolation: 'processes' as never })).toThrow(/isolation must be .*"process", got processes/);
});
