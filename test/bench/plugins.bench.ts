/**
 * Issue 16: reload of a 20-module plugin after one leaf file changed, until the new export
 * answers (target: median <= 1.5 ms). The plugin host (no watcher: `host.reload()` right after
 * the write, so the quiet period is not measured) in both isolations, against baselines in the
 * same run:
 * - native `import()` of a fresh copy of the graph with a `?v=` query (Node's own loader, see
 *   support/native-import.ts), which never frees what it loaded;
 * - raw `node:vm`: the graph in a fresh context, no policy, no membrane, nothing confined (a floor).
 * Only the reload and the read of the new export are timed; the write of the leaf is not.
 *
 * Run: npx vitest bench --run test/bench/plugins.bench.ts
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { afterAll, bench, describe } from 'vitest';
import { createPluginHost, type Isolation, type PluginHost } from '../../src/index.js';
import { moduleSource } from './support/graph.js';
import { nativeImport } from './support/native-import.js';
import { rawGraph } from './support/raw-vm.js';
import { MedianReport } from './support/report.js';

const MODULES = 20;
const ITERATIONS = 40;
const WARMUP = 5;
const COPIES = ITERATIONS + WARMUP + 2;

const temp = mkdtempSync(path.join(os.tmpdir(), 'esm-sandbox-bench-plugins-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** The leaf: module 0, imported (through the others) by everything; its `version` is what changes. */
const leaf = (version: number) => `${moduleSource(0, 'leaf')}export const version = ${version};\n`;

function writePlugin(dir: string, version: number): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'm0.mjs'), leaf(version));
  for (let i = 1; i < MODULES; i++) writeFileSync(path.join(dir, `m${i}.mjs`), moduleSource(i, 'plugin'));
  writeFileSync(path.join(dir, 'plugin.mjs'), `export { value } from './m${MODULES - 1}.mjs';\nexport { version } from './m0.mjs';\n`);
}

const copies = Array.from({ length: COPIES }, (_, n) => {
  const dir = path.join(temp, `copy-${n}`);
  writePlugin(dir, n);
  return dir;
});
const entryOf = (dir: string) => pathToFileURL(path.join(dir, 'plugin.mjs')).href;

const names = {
  worker: 'plugin host (worker): reload after a leaf changed',
  context: 'plugin host (context): reload after a leaf changed',
  native: 'native import() ?v= of a fresh copy (leaks)',
  raw: 'raw vm: fresh context, whole graph, no policy (floor)',
} as const;

const report = new MedianReport('issue 16: reload a 20-module plugin after one leaf changed', [
  { name: names.worker, baseline: names.native, maxMedian: 1.5 },
  { name: names.context, baseline: names.native, maxMedian: 1.5 },
  { name: names.native },
  { name: names.raw, baseline: names.native },
], Object.values(names));

if (typeof vm.SourceTextModule !== 'function') throw new Error('run the benches through vitest (the config passes --experimental-vm-modules)');

function check(version: unknown, expected: number): void {
  if (version !== expected) throw new Error(`reload answered version ${String(version)}, expected ${expected}`);
}

function hostBench(isolation: Isolation) {
  const dir = path.join(temp, `host-${isolation}`);
  writePlugin(dir, 0);
  let host: PluginHost | undefined;
  let version = 0;
  return report.benchParts(names[isolation], [names[isolation]], async (time) => {
    host ??= await createPluginHost({ root: dir, plugins: { p: './plugin.mjs' }, watch: false, isolation });
    writeFileSync(path.join(dir, 'm0.mjs'), leaf(++version));
    const answered = await time(names[isolation], async () => {
      const result = await host!.reload();
      if (!result.committed) throw result.error;
      return host!.plugin('p').exports.version;
    });
    check(answered, version);
    if (version === ITERATIONS + WARMUP) await host.close();
  }, ITERATIONS, WARMUP);
}

describe('reload a 20-module plugin', () => {
  bench(names.worker, ...hostBench('worker'));
  bench(names.context, ...hostBench('context'));

  let nextNative = 0;
  bench(names.native, ...report.bench(names.native, async () => {
    const n = nextNative++;
    check((await nativeImport(`${entryOf(copies[n]!)}?v=${n}`)).version, n);
  }, ITERATIONS, WARMUP));

  let nextRaw = 0;
  bench(names.raw, ...report.bench(names.raw, async () => {
    const n = nextRaw++;
    check((await rawGraph(entryOf(copies[n]!))).version, n);
  }, ITERATIONS, WARMUP));
});
