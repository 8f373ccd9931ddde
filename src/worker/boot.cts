/**
 * The worker thread's entry when the build made a bundle (scripts/bundle-worker.mjs): the whole
 * worker side (worker-main.js and everything it imports, acorn included) as one CommonJS file with
 * its V8 code cache (see load-bundle.cts). Measured, a worker sandbox's first import with the
 * thread's start: ~115 ms unbundled, ~60 ms bundled, ~50 ms with the cache (test/bench/worker.bench.ts).
 */
import path = require('node:path');
import threads = require('node:worker_threads');
import bundles = require('../load-bundle.cjs');

const loaded = bundles.loadBundle(path.join(__dirname, 'worker-bundle.cjs'), path.join(__dirname, 'worker-main.js'));
if (loaded === undefined) {
  // No fresh bundle: the unbundled entry does the same work.
  void import('./worker-main.js');
} else {
  // The build asks for the cache after its warm-up import, on a port only it can pass.
  const { cachePort } = threads.workerData as { cachePort?: threads.MessagePort };
  cachePort?.once('message', () => {
    cachePort.postMessage({ cache: loaded.cache() });
    cachePort.close();
  });
}
