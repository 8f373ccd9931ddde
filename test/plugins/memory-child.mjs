// Run by memory.test.ts as `node --expose-gc memory-child.mjs <reloads>`: reloads one plugin
// (worker isolation, the default) and prints what the host process kept, as JSON on stdout.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPluginHost } from '../../dist/index.js';

const reloads = Number(process.argv[2] ?? 1000);
const root = mkdtempSync(path.join(tmpdir(), 'esm-plugin-memory-'));
const leaf = (n) => `export const table = Array.from({ length: 2000 }, (_, i) => ({ i, n: ${n} }));\nexport const n = ${n};\n`;
writeFileSync(path.join(root, 'leaf.mjs'), leaf(0));
writeFileSync(
  path.join(root, 'main.mjs'),
  "import { n, table } from './leaf.mjs';\nimport.meta.hot.data.reloads = (import.meta.hot.data.reloads ?? 0) + 1;\nexport const value = () => n + table.length;\n",
);

let alive = 0;
let maxAlive = 0;
let started = 0;
process.on('worker', (worker) => {
  started++;
  maxAlive = Math.max(maxAlive, ++alive);
  worker.once('exit', () => alive--);
});

const settle = async () => {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return process.memoryUsage();
};

const contexts = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
const host = await createPluginHost({
  root,
  plugins: { main: './main.mjs' },
  watch: false,
  recycle: contexts === undefined ? undefined : { contexts },
});
const samples = {};
const began = performance.now();
for (let i = 1; i <= reloads; i++) {
  writeFileSync(path.join(root, 'leaf.mjs'), leaf(i));
  const result = await host.reload();
  if (!result.committed) throw result.error;
  if ((await host.plugin('main').exports.value()) !== i + 2000) throw new Error(`reload ${i} did not answer`);
  if (i === 100 || i === reloads || i % 250 === 0) samples[i] = await settle();
}
const ms = performance.now() - began;
await host.close();
rmSync(root, { recursive: true, force: true });
const first = samples[100];
const last = samples[reloads];
process.stdout.write(
  JSON.stringify({
    reloads,
    ms,
    started,
    maxAlive,
    heapPerReload: (last.heapUsed - first.heapUsed) / (reloads - 100),
    rssGrowth: last.rss - first.rss,
    rssMbEvery250: Object.entries(samples)
      .filter(([i]) => i % 250 === 0)
      .map(([, m]) => Math.round(m.rss / 1_048_576)),
    heapAt100: first.heapUsed,
    heapAtEnd: last.heapUsed,
    rssAt100: first.rss,
    rssAtEnd: last.rss,
  }),
);
