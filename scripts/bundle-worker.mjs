/**
 * Bundle the worker side (dist/worker/worker-main.js and everything it imports, acorn included)
 * into one CommonJS file, dist/worker/worker-bundle.cjs, and make V8's code cache for it after a
 * warm-up import, dist/worker/worker-bundle.cjs.cache. dist/worker/boot.cjs loads both; see there
 * for why (a new worker sandbox's first import, thread start included: ~115 ms → ~45 ms).
 * Same code, same order of evaluation; names are kept (errors cross the wire by class name).
 *
 * Run after `tsc` (npm run build does). Without rolldown installed nothing is bundled and workers
 * load dist/worker/worker-main.js module by module: slower to start, identical behaviour.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';

const dist = new URL('../dist/worker/', import.meta.url);
const input = fileURLToPath(new URL('worker-main.js', dist));
const file = fileURLToPath(new URL('worker-bundle.cjs', dist));
rmSync(file, { force: true });
rmSync(`${file}.cache`, { force: true });

let rolldown;
try {
  rolldown = await import('rolldown');
} catch {
  console.warn('bundle-worker: rolldown is not installed; workers will load dist/worker/worker-main.js unbundled');
  process.exit(0);
}
await rolldown.build({
  input,
  platform: 'node',
  // amaro is an optional peer, required at run time only for .ts files: it stays outside.
  external: [/^node:/, 'amaro'],
  logLevel: 'warn',
  output: { file, format: 'cjs', keepNames: true },
});

// The warm-up: a thread as the library starts one, one sandbox, an evaluation that goes through
// the parser, the policy, the catch guard and the link, and a call; then the cache of all that.
// A failed warm-up leaves no cache (threads then compile the bundle from source) and says why.
const calls = new MessageChannel();
const cache = new MessageChannel();
const worker = new Worker(new URL('boot.cjs', dist), {
  execArgv: ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning'],
  workerData: { callPort: calls.port2, flag: new SharedArrayBuffer(4), cachePort: cache.port2 },
  transferList: [calls.port2, cache.port2],
  stdout: false,
  stderr: false,
});
const replies = new Map();
worker.on('message', (message) => {
  if (message.body?.kind === 'reply') replies.get(message.body.id)?.(message.body);
});
const ended = new Promise((_, reject) => {
  worker.once('error', reject);
  worker.once('exit', (code) => reject(new Error(`the worker exited (${code})`)));
  setTimeout(() => reject(new Error('no answer in 30 s')), 30_000).unref();
});
const answer = (promise) => Promise.race([promise, ended]);
// The sandbox's first request carries what the worker builds it from (src/worker/carrier.ts, Inbound).
let init = { options: { root: tmpdir(), hasConsole: false, hasOnWarning: false }, modules: {}, rootChecked: false };
const request = (body) =>
  answer(
    new Promise((resolve) => {
      replies.set(body.id, resolve);
      worker.postMessage({ sandbox: 1, body, init });
      init = undefined;
    }),
  );
try {
  const source =
    'let n = 0;\ntry { n = JSON.parse("[1]")[0]; } catch (error) { n = -1; }\nexport const list = [n, { a: "b" }];\nexport function add(a, b) { return a + b + n; }\n';
  const evaluated = await request({ id: 1, op: 'evaluate', source, filename: 'warm-up.mjs' });
  if (!evaluated.ok) throw new Error(JSON.stringify(evaluated.error));
  const called = await request({ id: 2, op: 'call', fn: evaluated.value.add.__esmSandboxFn, args: [1, 2] });
  if (!called.ok || called.value !== 4) throw new Error(JSON.stringify(called));
  const made = answer(new Promise((resolve) => cache.port1.once('message', resolve)));
  cache.port1.postMessage('cache');
  writeFileSync(`${file}.cache`, (await made).cache);
} catch (error) {
  console.warn(`bundle-worker: no code cache, the warm-up failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  cache.port1.close();
  await worker.terminate();
}
