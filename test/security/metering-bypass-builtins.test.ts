/**
 * Metering-bypass catalogue (issue #14), part 3 of 3: builtins. User code that a builtin calls
 * (getters, setters, toString/valueOf/toPrimitive/toJSON, Proxy traps, comparators, map and
 * replace callbacks), promise and timer loops, ReDoS by every path, and builtins on huge inputs.
 * Many run no loop statement of the user's, or no user code at all while they last (ReDoS, a
 * default sort, BigInt, JSON, Intl): a bound that counts only iterations and function entries in
 * user code cannot end them, so these must keep passing however turns are bounded.
 *
 * Already covered elsewhere, not repeated: `/^(a+)+$/` and `/^(\w+\s?)*$/` literals, a promise
 * loop and a queueMicrotask loop, an interval flood, a loop paced by host promises (loops.test.ts);
 * V8's length limits on a 2^30 string, a 2^32 array, a 2^53 buffer (memory.test.ts);
 * `Array(6e7).fill(0)` and a global replace on a 2^28 string in process isolation
 * (process-survival.test.ts); a looping comparator from every entry path
 * (metering-bypass-entries.test.ts); BigInt arithmetic in the quiet turns that run without a
 * watchdog (metering-bigint.test.ts; the bigIntPower case here runs in a realm's first, watched turns).
 */
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { DeadlineError, MemoryLimitError, SandboxCrashedError, TimeoutError } from '../../src/index.js';
import { describeEach, fixtures } from '../helpers/sandbox.js';
import { meteringKit, TIMEOUT } from './metering-support.js';
import { call, rejection } from './support.js';

const file = './metering-builtins.mjs';
/** Builtins that ignore termination (docs/ARCHITECTURE.md, section 9). */
const UNSTOPPABLE = ['fillHuge', 'arrayFromLength', 'reduceHugeHoley', 'joinSparseWithElement'] as const;

describeEach('security: metering bypasses through builtins', (kit) => {
  const m = meteringKit(kit);
  const timesOut = (name: string) => () => m.expectTimeout(file, name);
  const throwsRange = (name: string) => () => m.expectRangeError(file, name);

  it(
    'Array.prototype.join calls a toString 2^32 - 1 times on a Proxy array-like (no user loop): TimeoutError',
    timesOut('joinCallsToString'),
  );
  it('Array.prototype.join reads a looping getter: TimeoutError', timesOut('joinLoopingGetter'));
  it('Object.assign runs a looping setter: TimeoutError', timesOut('assignLoopingSetter'));
  it('Math.max runs a looping valueOf: TimeoutError', timesOut('maxLoopingValueOf'));
  it('String.prototype.padStart runs a looping Symbol.toPrimitive: TimeoutError', timesOut('padLoopingToPrimitive'));
  it('JSON.stringify runs a looping toJSON: TimeoutError', timesOut('stringifyLoopingToJSON'));
  it('JSON.parse runs a looping reviver: TimeoutError', timesOut('parseLoopingReviver'));
  it('Object.keys runs a looping ownKeys trap: TimeoutError', timesOut('keysLoopingTrap'));
  it('Array.prototype.includes calls a Proxy get trap 2^32 - 1 times (no user loop): TimeoutError', timesOut('includesCallsGetTrap'));

  it('a sort of 10^7 numbers with a comparator (no user loop): TimeoutError', timesOut('hugeSortComparator'));
  it('Array.from({ length: 1e9 }, fn): TimeoutError', timesOut('arrayFromMapper'));
  it('a map callback that re-enters map and swallows the overflow (exponential, no loop): TimeoutError', timesOut('mapReenters'));
  it('a forEach callback that re-enters forEach and swallows the overflow: TimeoutError', timesOut('forEachReenters'));
  it('a reduce callback that re-enters reduce and swallows the overflow: TimeoutError', timesOut('reduceReenters'));
  it('a replace callback that re-enters replace and swallows the overflow: TimeoutError', timesOut('replaceReenters'));
  it('a replaceAll callback that loops: TimeoutError', timesOut('replaceLoopingCallback'));

  it('an async function that awaits and calls itself forever (microtasks of one turn): TimeoutError', timesOut('asyncRecursion'));
  it('a thenable that resolves with itself, adopted forever: TimeoutError', timesOut('thenableAdoptsItself'));
  it('for (;;) await null: TimeoutError', timesOut('awaitInLoop'));
  it('function f() { Promise.resolve().then(f) }: TimeoutError', timesOut('promiseThenLoop'));

  it.each(['timeoutChain', 'intervalZero'])('%s: turns of 20 ms each (under the timeout) end by the background budget', async (name) => {
    const sandbox = m.make();
    const ns = await sandbox.import(file);
    const started = performance.now();
    expect(await call(ns, name)).toBe('armed');
    await m.expectDiesLater(ns, sandbox, started);
  });

  it('ReDoS: new RegExp(string).exec: TimeoutError', timesOut('regExpFromString'));
  it('ReDoS: String.prototype.match with a string pattern: TimeoutError', timesOut('matchString'));
  it('ReDoS: String.prototype.match with a regex: TimeoutError', timesOut('matchRegExp'));
  it('ReDoS: String.prototype.matchAll with a string pattern: TimeoutError', timesOut('matchAllString'));
  it('ReDoS: String.prototype.matchAll with a global regex, (a|a)*b: TimeoutError', timesOut('matchAllRegExp'));
  it('ReDoS: String.prototype.search with a string pattern: TimeoutError', timesOut('searchString'));
  it('ReDoS: String.prototype.search with a regex, (a*)*b: TimeoutError', timesOut('searchRegExp'));
  it('ReDoS: String.prototype.replace with a regex: TimeoutError', timesOut('replaceRegExp'));
  it('ReDoS: String.prototype.replaceAll with a global regex: TimeoutError', timesOut('replaceAllRegExp'));
  it('ReDoS: String.prototype.split with a regex: TimeoutError', timesOut('splitRegExp'));
  it('ReDoS: a backreference, /^(a+)+\\1$/: TimeoutError', timesOut('backreference'));
  it('ReDoS: a Unicode property class, /^(\\p{L}+)+$/u: TimeoutError', timesOut('unicodeProperty'));

  it("'x'.repeat(2 ** 29): a RangeError inside the sandbox", throwsRange('repeatPastLimit'));
  it("'x'.padStart(2 ** 29, 'ab'): a RangeError inside the sandbox", throwsRange('padStartPastLimit'));
  it("'x'.repeat(2 ** 28).padEnd(2 ** 30): a RangeError inside the sandbox", throwsRange('padEndPastLimit'));
  it('[].join on a sparse array of length 2^32 - 1: a RangeError inside the sandbox', throwsRange('joinHugeSparse'));
  it('JSON.stringify of 10^8 strings: TimeoutError', timesOut('stringifyHuge'));
  it(
    'JSON.parse of a 5 KB text, over and over: TimeoutError (one parse is not interruptible: 100 MB ran 6 s past the timeout)',
    timesOut('parseOverAndOver'),
  );
  it('10n ** 10000000n: TimeoutError', timesOut('bigIntPower'));
  it('Intl.Collator and Intl.DateTimeFormat, over and over: TimeoutError', timesOut('intlOverAndOver'));
});

// Each ignores Node's watchdog and worker.terminate(): in `process` isolation the child is killed
// 1 s past the timeout, or dies of its heap cap first. (`context` and `worker`: see below.)
describeEach(
  'security: metering bypasses through builtins that ignore termination',
  (kit) => {
    const m = meteringKit(kit);
    it.each(UNSTOPPABLE)('%s: SandboxCrashedError or MemoryLimitError; the next sandbox gets a working child', async (name) => {
      const sandbox = m.make({ memoryLimitMb: 256, deadline: 30_000 });
      const ns = await sandbox.import(file);
      const started = performance.now();
      const error = m.seen(await rejection(call(ns, name)));
      expect(error instanceof SandboxCrashedError || error instanceof MemoryLimitError, String(error)).toBe(true);
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(sandbox.disposed).toBe(true);
    });
  },
  ['process'],
);

/**
 * A known gap: Node's watchdog requests termination once, and JSON.parse of a large text (no
 * reviver) or a default sort of a large array sometimes loses that request (about 1 run in 10 here; plain node:vm on Node 20.20 and
 * 24.22 alike: `for (;;) JSON.parse(text)` of a 100 KB array ran 4.7-15 s past a 150 ms timeout).
 * `worker` isolation is then bounded by the deadline (worker.terminate() asks again), `process`
 * isolation by its watcher (the child is killed 1 s past the timeout); `context` isolation hangs
 * the host until V8 notices by itself, so it is not run here.
 */
describeEach(
  'security: a termination lost inside JSON.parse or a default sort',
  (kit) => {
    const m = meteringKit(kit);
    it.each([
      ['JSON.parse of a 100 KB text, over and over', 'parseLargeOverAndOver'],
      // Seen through esm-sandbox (12 s past the timeout in 1 of 3 context runs, the deadline in 2 of 3
      // worker runs), not yet in plain node:vm: cause unknown.
      ['a default sort of 2 * 10^6 numbers (no user code while it sorts)', 'hugeDefaultSort'],
    ])('%s: TimeoutError, else DeadlineError (worker) or SandboxCrashedError (process)', async (_, name) => {
      const sandbox = m.make();
      const ns = await sandbox.import(file);
      const started = performance.now();
      const error = m.seen(await rejection(call(ns, name)));
      const lost = kit.isolation === 'worker' ? DeadlineError : SandboxCrashedError;
      expect(error instanceof TimeoutError || error instanceof lost, String(error)).toBe(true);
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(sandbox.disposed).toBe(true);
    });
  },
  ['worker', 'process'],
);

/**
 * A known gap, kept as a failing case: in `context` isolation these run on the host's thread past
 * any timeout (until the host runs out of memory or the builtin finishes), so each is run in a
 * child process with a small heap, given a few seconds, and asked for a TimeoutError it does not
 * get. `worker` isolation has the same gap (the thread cannot be terminated; a fatal out-of-memory
 * in it ends the whole process). Should V8 or a fix make these stoppable, `it.fails` will say so.
 */
it.fails.each(UNSTOPPABLE)('context isolation: %s ends in TimeoutError (known gap: the builtin ignores termination)', (name) => {
  const script = `
    import { createSandbox } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)};
    const sandbox = createSandbox({ root: ${JSON.stringify(fixtures('security').href)}, isolation: 'context', policy: false, timeout: ${TIMEOUT} });
    const ns = await sandbox.import(${JSON.stringify(file)});
    console.log(await ns[${JSON.stringify(name)}]().then(() => 'returned', (error) => error.name));`;
  const result = spawnSync(
    process.execPath,
    ['--max-old-space-size=256', '--experimental-vm-modules', '--disable-warning=ExperimentalWarning', '--input-type=module', '-e', script],
    {
      encoding: 'utf8',
      timeout: 4_000,
    },
  );
  expect(result.stdout.trim()).toBe('TimeoutError');
});
