/**
 * CommonJS packages against ES module packages of the same size, in the same run: a new sandbox
 * importing semver (50 CommonJS files: one function compiled in the realm and one facade module
 * per file, `require()` through the host) next to one importing micromark (56 ES module files in
 * 21 packages). Both with the analysis cache warm (unchanged files, as a host re-creating sandboxes
 * over the same packages has them), interleaved so both see the same machine load. The result per
 * file is what CommonJS costs over ES modules.
 *
 * Issue 17: semver as a new process would load it, memory cache empty: with a warm `cacheDir`
 * (analysis, findings and the wrapper functions' V8 code caches read from one pack) against no
 * disk cache (every file parsed, lexed, checked and transformed), interleaved too.
 *
 * Run: npx vitest bench --run test/bench/commonjs.bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, bench, describe } from 'vitest';
import { analysisCache, diskCache, library } from './support/library.js';
import { interleaved } from './support/interleaved.js';
import { MedianReport } from './support/report.js';

const { createSandbox } = library;
const { clearAnalysisCache } = analysisCache;
const { closeDiskCaches, diskCacheStats, flushDiskCaches } = diskCache;

const ITERATIONS = 30;
const WARMUP = 5;
const root = new URL('../../fixtures/packages/corpus/', import.meta.url);

const parts = {
  commonjs: 'semver: 50 CommonJS files, new sandbox',
  esm: 'micromark: 56 ES module files, new sandbox',
} as const;
const names = { interleaved: 'both, interleaved' } as const;

const report = new MedianReport(
  'CommonJS vs ES module packages (analysis cache warm)',
  [{ name: parts.esm }, { name: parts.commonjs, baseline: parts.esm }],
  Object.values(names),
);

const diskParts = {
  cold: 'semver, memory empty, no disk cache',
  disk: 'semver, memory empty, disk cache warm (a new process)',
} as const;
const diskName = 'semver as a new process loads it';
const diskReport = new MedianReport(
  'issue 17: CommonJS from the disk cache',
  [{ name: diskParts.cold }, { name: diskParts.disk, baseline: diskParts.cold }],
  [diskName],
);
const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'esm-sandbox-commonjs-bench-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

async function load(name: string, options: { cacheDir?: string } = {}): Promise<void> {
  const sandbox = createSandbox({ root, isolation: 'context', packages: [name], ...options });
  const { result } = await sandbox.import(`./${name}.mjs`);
  if (!Array.isArray(result) || result.length === 0) throw new Error(`${name} loaded wrong`);
  await sandbox.dispose();
}

describe('CommonJS package load', () => {
  bench(
    names.interleaved,
    ...interleaved(
      report,
      names.interleaved,
      [
        [parts.commonjs, () => load('semver')],
        [parts.esm, () => load('micromark')],
      ],
      ITERATIONS,
      WARMUP,
    ),
  );
});

describe('CommonJS package load, new process', () => {
  let loads = 0;
  bench(
    diskName,
    ...interleaved(
      diskReport,
      diskName,
      [
        [
          diskParts.cold,
          async () => {
            clearAnalysisCache();
            await load('semver');
          },
        ],
        [
          diskParts.disk,
          async () => {
            clearAnalysisCache();
            closeDiskCaches();
            const before = diskCacheStats();
            await load('semver', { cacheDir });
            // The first load fills the cache (a warm-up iteration); every later one must only hit.
            flushDiskCaches();
            if (loads++ > 0 && diskCacheStats().misses !== before.misses) throw new Error('the disk cache missed');
          },
        ],
      ],
      ITERATIONS,
      WARMUP,
    ),
  );
});
