/**
 * Bundle each thread's code into one CommonJS file, with V8's code cache for it made after a
 * warm-up (src/load-bundle.cts loads both; see there for why):
 * - the worker side of worker isolation: dist/worker/worker-main.js and everything it imports,
 *   acorn included, into dist/worker/worker-bundle.cjs (loaded by dist/worker/boot.cjs; a new
 *   worker sandbox's first import, thread start included: ~115 ms → ~50 ms);
 * - the CLI's thread: dist/cli/in-thread.js, its commands and the library, into
 *   dist/cli/cli-bundle.cjs (loaded by dist/cli/boot.cjs, which dist/cli/main.js starts).
 * Same code, same order of evaluation; names are kept (errors cross the wire by class name).
 * The license notices of the packages bundled go to dist/THIRD-PARTY-NOTICES.txt, not into the
 * bundles (third-party-notices.mjs).
 *
 * Run after `tsc` (npm run build does). Without rolldown installed nothing is bundled and threads
 * load the unbundled files module by module: slower to start, identical behaviour.
 */
import { isAscii } from 'node:buffer';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { writeNotices } from './third-party-notices.mjs';

const dist = new URL('../dist/', import.meta.url);
const at = (name) => fileURLToPath(new URL(name, dist));
const THREAD_FLAGS = ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning'];

let rolldown;
try {
  rolldown = await import('rolldown');
} catch {
  console.warn('bundle-worker: rolldown is not installed; threads will load dist unbundled');
  process.exit(0);
}

/**
 * One file for `input` and all it imports; an old cache goes first (boot would reject it anyway).
 * Returns the ids of the modules in it, whose packages' notices third-party-notices.mjs writes.
 */
async function bundle(input, file) {
  rmSync(file, { force: true });
  rmSync(`${file}.cache`, { force: true });
  const { output } = await rolldown.build({
    input,
    platform: 'node',
    // amaro is an optional peer, required at run time only for .ts files: it stays outside.
    external: [/^node:/, 'amaro'],
    logLevel: 'warn',
    // Dynamic imports (the CLI's commands) go into the one file too. ASCII and no doc comments:
    // one non-ASCII character makes V8 hold the whole source as a two-byte string, slower to read,
    // hash and scan (the CLI's bundle: 836 → 756 KB; config in a fresh process ~17 ms less CPU).
    output: {
      file,
      format: 'cjs',
      keepNames: true,
      codeSplitting: false,
      charset: 'ascii',
      comments: { legal: true, annotation: false, jsdoc: false },
    },
  });
  writeFileSync(file, deferBuiltins(readFileSync(file, 'utf8'), file));
  const text = readFileSync(file);
  if (!isAscii(text)) console.warn(`bundle-worker: ${file} is not ASCII (a comment?): threads will load it slower`);
  // import() in a script compiled with a code cache made in another process finds no callback
  // (load-bundle.cts): a bundle that has one must not ship.
  const { parse } = await import('acorn');
  const { simple } = await import('acorn-walk');
  simple(parse(text.toString('utf8'), { ecmaVersion: 'latest', sourceType: 'script', allowReturnOutsideFunction: true }), {
    ImportExpression(node) {
      rmSync(file);
      throw new Error(`bundle-worker: ${file} calls import() at offset ${node.start}; pass Node's import() in from the boot file`);
    },
  });
  return output.flatMap((chunk) => (chunk.type === 'chunk' ? chunk.moduleIds : []));
}

/**
 * Builtins that only some commands use, each required at its first use instead of at the bundle's
 * start. A new thread has no snapshot of Node's own modules, so each costs its compile there:
 * `node:child_process` 2-5 ms (process isolation), `node:fs/promises` ~1.7 ms (it loads readline;
 * plugin watching), `node:os` ~0.3 ms (the pool). `esm-sandbox config` needs none of them.
 */
const DEFERRED_BUILTINS = ['node:child_process', 'node:fs/promises', 'node:os'];

/** The bundle with each of DEFERRED_BUILTINS behind an object that requires it when first read. */
function deferBuiltins(text, file) {
  for (const id of DEFERRED_BUILTINS) {
    const declaration = new RegExp(`^let (\\w+) = require\\("${id}"\\);$`, 'm').exec(text);
    if (declaration === null) continue;
    const name = declaration[1];
    // Only member reads (`name.fork`) may use it: a spread or an interop copy would see an empty object.
    if (text.match(new RegExp(`\\b${name}\\b(?![.])`, 'g')).length !== 1) {
      throw new Error(`bundle-worker: ${file} uses ${id} other than by member reads; it cannot be deferred`);
    }
    // On the declaration's own line, so that the bundle's line numbers hold.
    const lazy = `let ${name} = ((m) => new Proxy({}, { get: (_, key) => (m ??= require("${id}"))[key] }))();`;
    text = text.replace(declaration[0], lazy);
  }
  return text;
}

/**
 * Start `boot` as a thread with `workerData` and a cache port, let `warmUp` drive it, then store
 * what V8 compiled. A failed warm-up leaves no cache (threads then compile the bundle from source)
 * and says why.
 */
async function cacheAfterWarmUp(file, boot, options, warmUp) {
  const cache = new MessageChannel();
  const worker = new Worker(boot, {
    ...options,
    execArgv: THREAD_FLAGS,
    workerData: { ...options.workerData, cachePort: cache.port2 },
    transferList: [...(options.transferList ?? []), cache.port2],
    stdout: true,
    stderr: true,
  });
  worker.stdout.resume();
  worker.stderr.resume();
  const ended = new Promise((_, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the worker exited (${code})`)));
    setTimeout(() => reject(new Error('no answer in 30 s')), 30_000).unref();
  });
  const answer = (promise) => Promise.race([promise, ended]);
  try {
    const made = new Promise((resolve) => cache.port1.once('message', resolve));
    await warmUp(worker, answer, () => cache.port1.postMessage('cache'));
    writeFileSync(`${file}.cache`, (await answer(made)).cache);
  } catch (error) {
    console.warn(`bundle-worker: no code cache for ${file}, the warm-up failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    cache.port1.close();
    await worker.terminate();
  }
}

// Worker isolation. The warm-up: a thread as the library starts one, one sandbox, an evaluation
// that goes through the parser, the policy, the catch guard and the link, and a call.
const workerBundle = at('worker/worker-bundle.cjs');
const workerModules = await bundle(at('worker/worker-main.js'), workerBundle);
const calls = new MessageChannel();
await cacheAfterWarmUp(
  workerBundle,
  new URL('worker/boot.cjs', dist),
  { workerData: { callPort: calls.port2, flag: new SharedArrayBuffer(4) }, transferList: [calls.port2] },
  async (worker, answer, askCache) => {
    const replies = new Map();
    worker.on('message', (message) => {
      if (message.body?.kind === 'reply') replies.get(message.body.id)?.(message.body);
    });
    // The sandbox's first request carries what the worker builds it from (src/worker/carrier.ts,
    // Inbound), the host's normalised options as the library makes them (worker-sandbox.ts).
    const { normalizeOptions, toPortable } = await import(new URL('sandbox/options.js', dist).href);
    const options = toPortable(normalizeOptions({ root: tmpdir() }), undefined);
    let init = { options, hasConsole: false, hasOnWarning: false, modules: {}, rootChecked: true };
    const request = (body) =>
      answer(
        new Promise((resolve) => {
          replies.set(body.id, resolve);
          worker.postMessage({ sandbox: 1, body, init });
          init = undefined;
        }),
      );
    const source =
      'let n = 0;\ntry { n = JSON.parse("[1]")[0]; } catch (error) { n = -1; }\nexport const list = [n, { a: "b" }];\nexport function add(a, b) { return a + b + n; }\n';
    const evaluated = await request({ id: 1, op: 'evaluate', source, filename: 'warm-up.mjs' });
    if (!evaluated.ok) throw new Error(JSON.stringify(evaluated.error));
    const called = await request({ id: 2, op: 'call', fn: evaluated.value.add.__esmSandboxFn, args: [1, 2] });
    if (!called.ok || called.value !== 4) throw new Error(JSON.stringify(called));
    askCache();
  },
);
calls.port1.close();

// The CLI's thread. The warm-up: `esm-sandbox config` of a small function config with a sibling module and std:path,
// twice on one disk cache, so that the cache holds what a run with a warm disk cache compiles.
const cliBundle = at('cli/cli-bundle.cjs');
const cliModules = await bundle(at('cli/in-thread.js'), cliBundle);
writeNotices(
  at('THIRD-PARTY-NOTICES.txt'),
  new Map([
    ['worker/worker-bundle.cjs', workerModules],
    ['cli/cli-bundle.cjs', cliModules],
  ]),
);
const scratch = mkdtempSync(path.join(tmpdir(), 'esm-sandbox-bundle-'));
try {
  const config = path.join(scratch, 'app.config.mjs');
  writeFileSync(path.join(scratch, 'part.mjs'), 'export const part = (mode) => ({ mode, list: [1, 2], nested: { ok: true } });\n');
  writeFileSync(
    config,
    "import { join } from 'std:path';\nimport { part } from './part.mjs';\nexport default ({ mode }) => ({ out: join('dist', mode), ...part(mode), hook() {} });\n",
  );
  const argv = ['config', config, '--json', '--cache-dir', path.join(scratch, 'cache')];
  const cliThread = (warmUp) =>
    cacheAfterWarmUp(cliBundle, new URL('cli/boot.cjs', dist), { argv, workerData: { esmSandboxCli: true, color: false } }, warmUp);
  // The first run fills the disk cache; its code cache is overwritten by the second's.
  for (let run = 0; run < 2; run++) await cliThread((_worker, _answer, askCache) => askCache());
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
