/**
 * The worker thread's entry when the build made a bundle (scripts/bundle-worker.mjs): the whole
 * worker side (worker-main.js and everything it imports, acorn included) as one CommonJS file,
 * compiled here with V8's code cache made at build time after a warm-up import.
 *
 * Why: a new worker sandbox's first import pays for starting its thread. On Node 20 the ESM loader
 * costs ~0.5 ms per module (~55 modules), compiling ~420 KB of source ~9 ms, and the first import
 * compiles acorn's parser functions lazily. One file cuts the first; the cache, which holds the
 * functions the warm-up compiled, much of the rest; and this entry being CommonJS spares the
 * thread the ESM loader's start (~4 ms). Measured, first import with the thread's start:
 * ~115 ms unbundled, ~60 ms bundled, ~50 ms with the cache (test/bench/worker.bench.ts).
 *
 * Same code, same behaviour: a cache V8 rejects (another Node version, other V8 flags) or a missing
 * one only means compiling from source. Node 22.1+ offers module.enableCompileCache for the same
 * end, but it writes to a directory of its own choosing: a library should not do that.
 */
import crypto = require('node:crypto');
import fs = require('node:fs');
import nodeModule = require('node:module');
import path = require('node:path');
import vm = require('node:vm');
import threads = require('node:worker_threads');

const file = path.join(__dirname, 'worker-bundle.cjs');
let source: string | undefined;
try {
  source = fs.readFileSync(file, 'utf8');
} catch {
  // A build is rewriting dist right now: the unbundled entry does the same work.
  source = undefined;
}
if (source === undefined) {
  void import('./worker-main.js');
} else {
  // V8 checks a cache against the source's length only: a cache is used only with the bundle it
  // was made from, named by the SHA-1 that heads the cache file.
  const digest = crypto.createHash('sha1').update(source).digest();
  let cachedData: Buffer | undefined;
  try {
    const stored = fs.readFileSync(`${file}.cache`);
    cachedData = stored.subarray(0, digest.length).equals(digest) ? stored.subarray(digest.length) : undefined;
  } catch {
    cachedData = undefined;
  }
  // Node's CommonJS wrapper, on the bundle's first line so its line numbers hold.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n})`, {
    filename: file,
    cachedData,
  });
  const run = script.runInThisContext() as (
    exports: object,
    require: NodeJS.Require,
    module: { exports: object },
    filename: string,
    dirname: string,
  ) => void;
  const bundle = { exports: {} };
  run.call(bundle.exports, bundle.exports, nodeModule.createRequire(file), bundle, file, __dirname);

  // The build asks for the cache after its warm-up import, on a port only it can pass.
  const { cachePort } = threads.workerData as { cachePort?: threads.MessagePort };
  cachePort?.once('message', () => {
    cachePort.postMessage({ cache: Buffer.concat([digest, script.createCachedData()]) });
    cachePort.close();
  });
}
