/**
 * Issue 2, target 2: load a generated 50-module graph from disk, policy analysis included, in at
 * most 0.7x the time of native `import()` of the same files in the same run.
 *
 * Native `import()` caches by URL, and a `?v=N` query only refreshes the entry (its relative
 * imports resolve to the cached URLs), so every native iteration imports its own copy of the
 * graph, written at bench start into a temp directory. It is Node's own loader, not vitest's
 * (see support/native-import.ts). The sandbox is measured twice:
 * - warm: a new sandbox per iteration importing the same unchanged files. The analysis (parse,
 *   policy, guard) is cached by content hash, which is the product's behaviour for a host that
 *   re-creates sandboxes over unchanged plugins: files are still read, hashed, resolved,
 *   compiled, linked and evaluated each time.
 * - cold: a new sandbox per iteration importing its own copy whose content is unique (a salted
 *   comment), so every module is parsed, policy-checked and transformed.
 * Raw `node:vm` (no policy, no confinement, no membrane) is there as the floor.
 *
 * Run: npx vitest bench --run test/bench/graph.bench.ts
 */
import vm from 'node:vm';
import { bench, describe } from 'vitest';
import { library } from './support/library.js';
import { ENTRY, makeGraphSet } from './support/graph.js';
import { nativeImport } from './support/native-import.js';
import { rawGraph } from './support/raw-vm.js';
import { MedianReport } from './support/report.js';

const { createSandbox } = library;

const ITERATIONS = 30;
const WARMUP = 5;
const COPIES = ITERATIONS + WARMUP;

const native = makeGraphSet('native', COPIES);
const cold = makeGraphSet('cold', COPIES);
const raw = makeGraphSet('raw', COPIES);

const names = {
  native: 'native import() of a fresh copy',
  warm: 'sandbox: new sandbox, same files (analysis cache warm)',
  cold: 'sandbox: new sandbox, unique content (analysis cold)',
  raw: 'raw vm: SourceTextModule graph, no policy (floor)',
} as const;

const report = new MedianReport(
  'target 2: 50-module graph from disk',
  [
    { name: names.native },
    { name: names.warm, baseline: names.native, maxRatio: 0.7 },
    { name: names.cold, baseline: names.native, maxRatio: 0.7 },
    { name: names.raw, baseline: names.native },
  ],
  Object.values(names),
);

/** Module 49's `value` folds every module's, so a wrong or partial load shows up as a wrong number. */
let expected: unknown;
function check(namespace: Record<string, unknown>): void {
  const value = namespace.value;
  expected ??= value;
  if (typeof value !== 'number' || value !== expected)
    throw new Error(`graph loaded wrong: value ${String(value)}, expected ${String(expected)}`);
}

function counter(): () => number {
  let n = 0;
  return () => n++;
}

if (typeof vm.SourceTextModule !== 'function')
  throw new Error('run the benches through vitest (the config passes --experimental-vm-modules)');

describe('50-module graph', () => {
  const nextNative = counter();
  bench(
    names.native,
    ...report.bench(
      names.native,
      async () => {
        const namespace = await nativeImport(native.entryUrl(native.copies[nextNative()]!));
        if (Object.prototype.toString.call(namespace) !== '[object Module]') throw new Error('not a native module namespace');
        check(namespace);
      },
      ITERATIONS,
      WARMUP,
    ),
  );

  bench(
    names.warm,
    ...report.bench(
      names.warm,
      async () => {
        const sandbox = createSandbox({ root: cold.shared, isolation: 'context' });
        check(await sandbox.import(`./${ENTRY}`));
        await sandbox.dispose();
      },
      ITERATIONS,
      WARMUP,
    ),
  );

  const nextCold = counter();
  bench(
    names.cold,
    ...report.bench(
      names.cold,
      async () => {
        const sandbox = createSandbox({ root: cold.copies[nextCold()]!, isolation: 'context' });
        check(await sandbox.import(`./${ENTRY}`));
        await sandbox.dispose();
      },
      ITERATIONS,
      WARMUP,
    ),
  );

  const nextRaw = counter();
  bench(
    names.raw,
    ...report.bench(
      names.raw,
      async () => {
        const n = nextRaw();
        check(await rawGraph(raw.entryUrl(raw.copies[n]!)));
        // The last bench's last iteration: nothing reads the copies any more.
        if (n === COPIES - 1) for (const set of [native, cold, raw]) set.dispose();
      },
      ITERATIONS,
      WARMUP,
    ),
  );
});
