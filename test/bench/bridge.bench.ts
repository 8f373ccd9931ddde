/**
 * Issue 2, target 3: a bridged host call from sandbox code with primitive arguments, median under
 * 300 ns. One host → sandbox call per bench iteration runs a sandbox loop that calls the bridge
 * CALLS times, so the turn's fixed cost (watchdog, copy of the result) is spread over CALLS
 * calls; the per-call figure is the iteration median / CALLS. The baseline is the same loop
 * calling a sandbox-local function (which V8 may inline: that is the floor, not a peer).
 *
 * Run: npx vitest bench --run test/bench/bridge.bench.ts
 */
import os from 'node:os';
import { bench, describe } from 'vitest';
import { library } from './support/library.js';
import { MedianReport } from './support/report.js';

const { createSandbox } = library;

const CALLS = 100_000;
const ITERATIONS = 40;
const WARMUP = 5;

let hostCalls = 0;
const sandbox = createSandbox({
  root: os.tmpdir(), // evaluate() writes nothing: any existing directory serves as the root
  isolation: 'context',
  modules: {
    'app:api': {
      add(a: number, b: number): number {
        hostCalls++;
        return (a + b) % 1_000_003;
      },
      tag(name: string, n: number, flag: boolean): string {
        hostCalls++;
        return flag ? name : `${name}${n}`;
      },
    },
  },
});

const ns = await sandbox.evaluate(
  `
import { add, tag } from 'app:api';

const localAdd = (a, b) => (a + b) % 1000003;
export function bridged(n) {
  let x = 0;
  for (let i = 0; i < n; i++) x = add(x, i);
  return x;
}
export function bridgedMixed(n) {
  let length = 0;
  for (let i = 0; i < n; i++) length += tag('k', i, (i & 1) === 0).length;
  return length;
}
export function local(n) {
  let x = 0;
  for (let i = 0; i < n; i++) x = localAdd(x, i);
  return x;
}
`,
  { filename: 'bridge-bench.mjs' },
);

type Loop = (n: number) => Promise<number>;
const bridged = ns.bridged as Loop;
const bridgedMixed = ns.bridgedMixed as Loop;
const local = ns.local as Loop;

/** What the loop must return, computed on the host. */
let expectedSum = 0;
for (let i = 0; i < CALLS; i++) expectedSum = (expectedSum + i) % 1_000_003;
let expectedLength = 0;
for (let i = 0; i < CALLS; i++) expectedLength += (i & 1) === 0 ? 1 : `k${i}`.length;

const names = {
  local: `sandbox-local call x${CALLS} (floor)`,
  bridged: `bridged host call add(number, number) x${CALLS}`,
  mixed: `bridged host call tag(string, number, boolean) x${CALLS}`,
} as const;

const report = new MedianReport(
  `target 3: bridged host call, per call (iteration median / ${CALLS})`,
  [
    { name: names.local, unit: 'ns', perIteration: CALLS },
    { name: names.bridged, baseline: names.local, unit: 'ns', perIteration: CALLS, maxMedian: 300 },
    { name: names.mixed, baseline: names.local, unit: 'ns', perIteration: CALLS, maxMedian: 300 },
  ],
  Object.values(names),
);

function expectEqual(actual: number, expected: number): void {
  if (actual !== expected) throw new Error(`loop returned ${actual}, expected ${expected}`);
}

describe('sandbox → host call', () => {
  bench(
    names.local,
    ...report.bench(
      names.local,
      async () => {
        expectEqual(await local(CALLS), expectedSum);
      },
      ITERATIONS,
      WARMUP,
    ),
  );

  bench(
    names.bridged,
    ...report.bench(
      names.bridged,
      async () => {
        const before = hostCalls;
        expectEqual(await bridged(CALLS), expectedSum);
        expectEqual(hostCalls - before, CALLS);
      },
      ITERATIONS,
      WARMUP,
    ),
  );

  bench(
    names.mixed,
    ...report.bench(
      names.mixed,
      async () => {
        const before = hostCalls;
        expectEqual(await bridgedMixed(CALLS), expectedLength);
        expectEqual(hostCalls - before, CALLS);
      },
      ITERATIONS,
      WARMUP,
    ),
  );
});
