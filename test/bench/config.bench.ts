/**
 * Issue 5: `loadConfig` of the bundled Vite-like example (11 modules and a JSON file), warm,
 * under 5 ms median and under 2x native `import()` of the same files in the same run.
 *
 * Native `import()` caches by URL, so each native iteration imports its own copy of the files
 * (written before the bench into a temp dir, `std:config` and `std:path` replaced by relative
 * shims over `node:path`). "Warm" for esm-sandbox means what a tool sees when it loads the same
 * unchanged config again (a dev server restarting, a second command): the analysis and compile
 * caches hit; every load still gets a new sandbox, new modules and a new evaluation. The first
 * (cold) load is timed once and printed, next to a warm one, to show what the caches save.
 *
 * Run: npx vitest bench --run test/bench/config.bench.ts
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bench, describe } from 'vitest';
import { library } from './support/library.js';
import { nativeCopies } from './support/config-copies.js';
import { nativeImport } from './support/native-import.js';
import { MedianReport } from './support/report.js';

const { loadConfig } = library;

const ITERATIONS = 100;
const WARMUP = 10;
const fixture = fileURLToPath(new URL('../../fixtures/config/vite-like/', import.meta.url));
const entry = 'vite.config.mjs';

const names = {
  native: 'native import() of a fresh copy',
  warm: 'loadConfig, warm (context isolation)',
} as const;

const report = new MedianReport(
  'issue 5: loadConfig of the Vite-like example',
  [{ name: names.native }, { name: names.warm, baseline: names.native, maxMedian: 5, maxRatio: 2 }],
  Object.values(names),
);

const copies = nativeCopies(fixture, entry, ITERATIONS + WARMUP + 5);
let next = 0;

async function load(): Promise<void> {
  const loaded = await loadConfig(path.join(fixture, entry), { isolation: 'context', mode: 'development' });
  if ((loaded.config as { mode?: string }).mode !== 'development') throw new Error('unexpected config');
  await loaded.dispose();
}

describe('loadConfig', async () => {
  // The first load of the process pays for parsing, policy and compiling every file once.
  let start = performance.now();
  await load();
  const cold = performance.now() - start;
  start = performance.now();
  await load();
  console.log(`\nfirst (cold) loadConfig: ${cold.toFixed(2)} ms; the second, same files: ${(performance.now() - start).toFixed(2)} ms`);

  bench(
    names.native,
    ...report.bench(
      names.native,
      async () => {
        const ns = (await nativeImport(copies[next++]!)) as unknown as {
          default: (env: { mode: string; command: string }) => { mode: string };
        };
        if (ns.default({ mode: 'development', command: 'build' }).mode !== 'development') throw new Error('unexpected config');
      },
      ITERATIONS,
      WARMUP,
    ),
  );

  bench(names.warm, ...report.bench(names.warm, load, ITERATIONS, WARMUP));
});
