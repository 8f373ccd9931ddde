/**
 * Issue 17: `import` of `lodash-es` (641 modules) in a new sandbox, against native `import()` of
 * a fresh copy of the same files, all in one iteration so every row sees the same machine load:
 * - native: Node's own loader (support/native-import.ts) importing its own copy of an entry file
 *   and `node_modules/lodash-es`, so nothing is cached by URL;
 * - warm (memory): a new sandbox over unchanged files in this process: the analysis cache in
 *   memory is warm, V8's code cache too (target: at most 1.0x native); its entries are those
 *   the cold row with a disk cache made just before;
 * - warm (disk): the memory cache emptied and the open caches closed first, as in a new
 *   process, and a warm `cacheDir`: the pack is read and verified, its entries compiled from
 *   their code caches (target: at most 1.0x native);
 * - cold: the memory cache emptied and no `cacheDir`: every module parsed, checked, transformed;
 * - cold, writing the disk cache: the same into an empty `cacheDir` (what a first run pays).
 *
 * Run: npx vitest bench --run test/bench/packages.bench.ts
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { bench, describe } from 'vitest';
import { analysisCache, diskCache, library } from './support/library.js';
import { nativeImport } from './support/native-import.js';
import { MedianReport } from './support/report.js';

const { createSandbox } = library;
const { clearAnalysisCache } = analysisCache;
const { closeDiskCaches, diskCacheStats, flushDiskCaches } = diskCache;

const ITERATIONS = 8;
const WARMUP = 2;
const ENTRY = "import _ from 'lodash-es';\nexport const value = _.sum(_.map(_.chunk(_.range(10), 3), _.size));\n";

const lodash = fileURLToPath(new URL('../../node_modules/lodash-es/', import.meta.url));
const scratch = mkdtempSync(path.join(os.tmpdir(), 'esm-sandbox-packages-bench-'));
/** A project: `entry.mjs` and its own copy of `node_modules/lodash-es`. */
function project(name: string): string {
  const dir = path.join(scratch, name);
  mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  cpSync(lodash, path.join(dir, 'node_modules', 'lodash-es'), { recursive: true });
  writeFileSync(path.join(dir, 'entry.mjs'), ENTRY);
  return dir;
}
const nativeCopies = Array.from({ length: ITERATIONS + WARMUP }, (_, i) => project(`native-${i}`));
const shared = project('sandbox');
const warmDisk = path.join(scratch, 'cache-warm');

const names = {
  native: 'native import() of a fresh copy',
  memory: 'sandbox: new sandbox, analysis cache warm (memory)',
  disk: 'sandbox: memory cache empty, disk cache warm (a new process)',
  cold: 'sandbox: analysis cold, no disk cache',
  coldWrite: 'sandbox: analysis cold, writing an empty disk cache',
} as const;

const report = new MedianReport(
  'issue 17: lodash-es (641 modules) in a new sandbox',
  [
    { name: names.native },
    { name: names.memory, baseline: names.native, maxRatio: 1.0 },
    { name: names.disk, baseline: names.native, maxRatio: 1.0 },
    { name: names.cold, baseline: names.native },
    { name: names.coldWrite, baseline: names.native },
  ],
  ['lodash-es'],
);

const EXPECTED = 10;
function check(namespace: Record<string, unknown>): void {
  if (namespace.value !== EXPECTED) throw new Error(`lodash-es loaded wrong: ${String(namespace.value)}`);
}

async function inSandbox(cacheDir?: string): Promise<void> {
  const sandbox = createSandbox({ root: shared, packages: ['lodash-es'], isolation: 'context', cacheDir });
  try {
    check(await sandbox.import('./entry.mjs'));
  } finally {
    await sandbox.dispose();
  }
}

if (typeof vm.SourceTextModule !== 'function')
  throw new Error('run the benches through vitest (the config passes --experimental-vm-modules)');

describe('lodash-es', () => {
  let n = 0;
  bench(
    'lodash-es',
    ...report.benchParts(
      'lodash-es',
      Object.values(names),
      async (time) => {
        const copy = nativeCopies[n++]!;
        check(await time(names.native, () => nativeImport(pathToFileURL(path.join(copy, 'entry.mjs')).href)));
        // Cold first, writing an empty cache dir: its entries (with V8's code cache, made at the
        // first compile for the disk) are what the memory row then finds.
        clearAnalysisCache();
        const empty = path.join(scratch, `cache-cold-${n}`);
        // The write happens a moment later (or at exit): counted here, with the load.
        await time(names.coldWrite, async () => {
          await inSandbox(empty);
          flushDiskCaches();
        });
        rmSync(empty, { recursive: true, force: true });
        await time(names.memory, () => inSandbox());
        // As in a new process: nothing in memory, the pack read from disk and verified again.
        clearAnalysisCache();
        closeDiskCaches();
        const before = diskCacheStats();
        await time(names.disk, () => inSandbox(warmDisk));
        flushDiskCaches();
        // The first iteration fills it (a warm-up one); from then on every module must be a hit.
        if (n > 1 && diskCacheStats().misses !== before.misses) throw new Error('the disk cache missed');
        clearAnalysisCache();
        await time(names.cold, () => inSandbox());
        if (n === ITERATIONS + WARMUP) rmSync(scratch, { recursive: true, force: true });
      },
      ITERATIONS,
      WARMUP,
    ),
  );
});
