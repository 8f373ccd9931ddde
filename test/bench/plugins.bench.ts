/**
 * Issue 16: reload of a 20-module plugin after one leaf file changed, until the new export
 * answers (target: median <= 1.5 ms). The plugin host (no watcher: `host.reload()` right after
 * the write, so the quiet period is not measured) in both isolations, against baselines in the
 * same run:
 * - native `import()` of a fresh copy of the graph with a `?v=` query (Node's own loader, see
 *   support/native-import.ts), which never frees what it loaded;
 * - raw `node:vm`: the graph in a fresh context, no policy, no membrane, nothing confined (a floor),
 *   compiled from scratch, and again with V8's code cache of the unchanged files (the floor the
 *   1.5 ms target was measured against elsewhere: 1.2 ms there).
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
import type { Isolation, PluginHost } from '../../src/index.js';
import { library } from './support/library.js';
import { moduleSource } from './support/graph.js';
import { nativeImport } from './support/native-import.js';
import { RawCodeCache, rawGraph } from './support/raw-vm.js';
import { MedianReport, type PartTimer } from './support/report.js';

const { createPluginHost } = library;

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
  rawCached: 'raw vm: the same with V8 code cache (floor)',
} as const;

const report = new MedianReport(
  'issue 16: reload a 20-module plugin after one leaf changed',
  [
    { name: names.worker, baseline: names.native, maxMedian: 1.5 },
    { name: names.context, baseline: names.native, maxMedian: 1.5 },
    // The target proposed in its place: 1.5 ms is below what raw vm with a code cache does on this
    // machine, so the reload is held to the floor of the same run (docs/BENCHMARKS.md).
    { name: names.context, baseline: names.rawCached, maxRatio: 1.5 },
    { name: names.worker, baseline: names.rawCached, maxRatio: 2 },
    { name: names.native },
    { name: names.raw, baseline: names.native },
    { name: names.rawCached, baseline: names.native },
  ],
  ['reload vs baselines'],
);

if (typeof vm.SourceTextModule !== 'function')
  throw new Error('run the benches through vitest (the config passes --experimental-vm-modules)');

function check(version: unknown, expected: number): void {
  if (version !== expected) throw new Error(`reload answered version ${String(version)}, expected ${expected}`);
}

async function hostFor(isolation: Isolation): Promise<{ host: PluginHost; dir: string }> {
  const dir = path.join(temp, `host-${isolation}`);
  writePlugin(dir, 0);
  return { host: await createPluginHost({ root: dir, plugins: { p: './plugin.mjs' }, watch: false, isolation }), dir };
}

async function reload(target: { host: PluginHost; dir: string }, version: number, time: PartTimer, part: string): Promise<void> {
  writeFileSync(path.join(target.dir, 'm0.mjs'), leaf(version));
  const answered = await time(part, async () => {
    const result = await target.host.reload();
    if (!result.committed) throw result.error;
    return target.host.plugin('p').exports.version;
  });
  check(answered, version);
}

/**
 * An idle moment before each part, untimed, as a reload after a save starts from an idle event
 * loop: work a part left to timers (a warm realm refilled after the context host took one) runs
 * here, not inside the next part's timing.
 */
const idle = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

// One bench, the five parts back to back in every iteration, so each sees the same machine load
// (this machine is shared: sequential benches measured minutes apart are not comparable).
describe('reload a 20-module plugin', () => {
  let hosts: { worker: { host: PluginHost; dir: string }; context: { host: PluginHost; dir: string } } | undefined;
  let n = 0;
  const rawCache = new RawCodeCache();
  bench(
    'reload vs baselines',
    ...report.benchParts(
      'reload vs baselines',
      Object.values(names),
      async (time) => {
        hosts ??= { worker: await hostFor('worker'), context: await hostFor('context') };
        const version = n++;
        await idle();
        check((await time(names.native, () => nativeImport(`${entryOf(copies[version]!)}?v=${version}`))).version, version);
        await idle();
        check((await time(names.raw, () => rawGraph(entryOf(copies[version]!)))).version, version);
        await idle();
        check((await time(names.rawCached, () => rawGraph(entryOf(copies[version]!), rawCache))).version, version);
        await idle();
        await reload(hosts.context, version + 1, time, names.context);
        await idle();
        await reload(hosts.worker, version + 1, time, names.worker);
        if (n === ITERATIONS + WARMUP) await Promise.all([hosts.worker.host.close(), hosts.context.host.close()]);
      },
      ITERATIONS,
      WARMUP,
    ),
  );
});
