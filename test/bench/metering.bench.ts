/**
 * Issue 14, step 1: metered sandbox code, so that calls into a `context` sandbox need no watchdog
 * thread. Two targets:
 * - a host → sandbox call of `export function f(x) { return x + 1 }` with metering on: median
 *   at most 3 µs (with metering off, each call pays Node's watchdog thread, ~100-200 µs here), next
 *   to a bare `vm` baseline in the same run: the same function compiled in a context and called
 *   directly (the floor), and once through `runInContext` (what each turn still pays, for the
 *   context's microtask drain);
 * - metering's cost on CPU-bound code (loops, recursion, array callbacks, string building):
 *   metered at most 1.3× the same code unmetered and unbounded (`timeout: Infinity`, so no
 *   watchdog either: the checks alone), one call per iteration in each sandbox.
 *
 * Run: npx vitest bench --run test/bench/metering.bench.ts
 */
import os from 'node:os';
import vm from 'node:vm';
import { bench, describe } from 'vitest';
import { library } from './support/library.js';
import { MedianReport } from './support/report.js';

const { createSandbox } = library;

const CALLS = 1_000;
const WATCHED_CALLS = 50;
const ITERATIONS = 30;
const WARMUP = 5;
/**
 * The per-call rows take 2-5 ms an iteration, and an async loop that awaits each call gets V8's
 * optimizing compiler only after many runs: with 5 warm-up iterations the bare vm floor measured
 * ~750 ns a call (the loop itself, not yet optimized), 52 ns once warm. Steady state is what a hot
 * caller sees.
 */
const CALL_WARMUP = 60;
/** evaluate() reads and writes nothing there: any existing directory serves as the root. */
const root = os.tmpdir();

const SOURCE = `
export function f(x) { return x + 1; }
export function loops(n) {
  let s = 0;
  for (let i = 0; i < n; i++) { let j = i; while (j > 0) { s = (s + j) % 1000003; j >>= 1; } }
  return s;
}
export function recursion(n) { const fib = (k) => (k < 2 ? k : fib(k - 1) + fib(k - 2)); return fib(n); }
export function callbacks(n) {
  const a = Array.from({ length: n }, (_, i) => i);
  return a.map((x) => x * 2).filter((x) => x % 3 !== 0).reduce((s, x) => (s + x) % 1000003, 0);
}
export function regexps(n) {
  let s = 0;
  for (let i = 0; i < n; i++) s += ('k' + i + ' v' + i).replace(/\\d+/g, (d) => d.length).split(/\\s/).length + (/k1/.test('k' + i) ? 1 : 0);
  return s;
}
export function strings(n) {
  let out = '';
  for (let i = 0; i < n; i++) out += String.fromCharCode(97 + (i % 26)) + (i % 10);
  return out.length;
}
`;

const open = async (metering: boolean, timeout = 5_000) => {
  const sandbox = createSandbox({ root, isolation: 'context', metering, timeout });
  return (await sandbox.evaluate(SOURCE, { filename: `metering-${metering}-${timeout}.mjs` })) as Record<
    string,
    (n: number) => Promise<number>
  >;
};
const metered = await open(true);
const unmetered = await open(false);
/** No timeout, no metering: no watchdog either, so the CPU rows compare the checks alone. */
const unbounded = await open(false, Infinity);
/**
 * The regexp row's own sandbox: one quiet for many turns (the call rows) runs its turns without a
 * watchdog, so a burst of 60,000 matches would be watched one by one, ~60 µs each (run/realm.ts,
 * QUIET_TURNS). This one matches from its first turn: its turns stay watched.
 */
const meteredRegexps = await open(true);

const context = vm.createContext();
const raw = vm.runInContext('(function f(x) { return x + 1; })', context) as (x: number) => number;
vm.runInContext('globalThis.f = (x) => x + 1; globalThis.x = 0;', context);
const rawTurn = new vm.Script('x = f(x)');

const expect = (actual: number, expected: number) => {
  if (actual !== expected) throw new Error(`got ${actual}, expected ${expected}`);
};

const calls = {
  raw: `bare vm: direct call of a context's function x${CALLS} (floor)`,
  rawScript: `bare vm: runInContext per call, no timeout x${CALLS}`,
  metered: `sandbox call f(x), metering on x${CALLS}`,
  unmetered: `sandbox call f(x), metering off (watchdog per call) x${WATCHED_CALLS}`,
} as const;

const callReport = new MedianReport(
  'issue 14: host → sandbox call in context isolation, per call',
  [
    { name: calls.raw, unit: 'ns', perIteration: CALLS },
    { name: calls.rawScript, baseline: calls.raw, unit: 'ns', perIteration: CALLS },
    { name: calls.metered, baseline: calls.raw, unit: 'ns', perIteration: CALLS, maxMedian: 3_000 },
    { name: calls.unmetered, unit: 'ns', perIteration: WATCHED_CALLS },
  ],
  Object.values(calls),
);

describe('host → sandbox call', () => {
  bench(
    calls.raw,
    ...callReport.bench(
      calls.raw,
      async () => {
        let x = 0;
        for (let i = 0; i < CALLS; i++) x = await raw(x);
        expect(x, CALLS);
      },
      ITERATIONS,
      CALL_WARMUP,
    ),
  );

  bench(
    calls.rawScript,
    ...callReport.bench(
      calls.rawScript,
      () => {
        for (let i = 0; i < CALLS; i++) rawTurn.runInContext(context);
      },
      ITERATIONS,
      CALL_WARMUP,
    ),
  );

  bench(
    calls.metered,
    ...callReport.bench(
      calls.metered,
      async () => {
        let x = 0;
        for (let i = 0; i < CALLS; i++) x = await metered.f!(x);
        expect(x, CALLS);
      },
      ITERATIONS,
      CALL_WARMUP,
    ),
  );

  bench(
    calls.unmetered,
    ...callReport.bench(
      calls.unmetered,
      async () => {
        let x = 0;
        for (let i = 0; i < WATCHED_CALLS; i++) x = await unmetered.f!(x);
        expect(x, WATCHED_CALLS);
      },
      ITERATIONS,
      WARMUP,
    ),
  );
});

const WORK = { loops: 200_000, recursion: 25, callbacks: 200_000, strings: 200_000, regexps: 20_000 } as const;
type Work = keyof typeof WORK;
const row = (work: Work, metering: boolean) => `${work}(${WORK[work]}), ${metering ? 'metered' : 'unmetered, no watchdog'}`;
const works = Object.keys(WORK) as Work[];

const cpuReport = new MedianReport(
  'issue 14: metering overhead on CPU-bound sandbox code (one call per iteration)',
  works.flatMap((work) => [
    { name: row(work, false) },
    // Regexps: every method a locked wrapper, so V8's fast paths are off (and, past 16 watched runs, a watchdog per turn): reported, no target.
    { name: row(work, true), baseline: row(work, false), ...(work === 'regexps' ? {} : { maxRatio: 1.3 }) },
  ]),
  works.map((work) => `${work}: unmetered and metered, interleaved`),
);

describe('CPU-bound code, metered vs unmetered', () => {
  // Both sandboxes in every iteration, back to back: they see the same machine load.
  for (const work of works) {
    const name = `${work}: unmetered and metered, interleaved`;
    let expected: number | undefined;
    let first = true;
    bench(
      name,
      ...cpuReport.benchParts(
        name,
        [row(work, false), row(work, true)],
        async (time) => {
          const order = first ? [false, true] : [true, false];
          first = !first;
          for (const metering of order) {
            const ns = metering ? (work === 'regexps' ? meteredRegexps : metered) : unbounded;
            const value = await time(row(work, metering), () => ns[work]!(WORK[work]));
            expected ??= value;
            expect(value, expected);
          }
        },
        ITERATIONS,
        WARMUP,
      ),
    );
  }
});
