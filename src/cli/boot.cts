/**
 * The CLI thread's entry when the build made a bundle (scripts/bundle-worker.mjs): the CLI and the
 * library it runs as one CommonJS file with its V8 code cache (see load-bundle.cts), instead of
 * ~80 ES modules loaded one by one. bin.cts starts it; a missing or stale bundle means the unbundled
 * files (load-bundle.cts).
 */
import path = require('node:path');
import threads = require('node:worker_threads');
import bundles = require('../load-bundle.cjs');

interface CliBundle {
  runCli(argv: readonly string[], importModule: (url: string) => Promise<unknown>): Promise<number>;
}

// Node's import() from this file, which Node loaded: inside the bundle, compiled with a code cache,
// import() has lost its callback (Node 20 to 24: "A dynamic import callback was not specified").
const importModule = (url: string): Promise<unknown> => import(url);

type BundleFiles = Parameters<typeof bundles.loadBundle>[2];
// The main thread read the bundle while this thread started (bin.cts): it is waiting on the port,
// unless the main thread was slower, and then read here.
const sent = threads.parentPort && (threads.receiveMessageOnPort(threads.parentPort)?.message as { cliBundle?: BundleFiles } | undefined);
const file = path.join(__dirname, 'cli-bundle.cjs');
const unbundled = path.join(__dirname, 'in-thread.js');
const loaded = bundles.loadBundle(file, unbundled, sent?.cliBundle ?? bundles.readBundle(file, unbundled));
const { cachePort } = threads.workerData as { cachePort?: threads.MessagePort };
const ran =
  loaded === undefined
    ? // No fresh bundle: the unbundled CLI does the same work.
      import('./in-thread.js').then(({ runCli }) => runCli(process.argv.slice(2), importModule))
    : (loaded.exports as unknown as CliBundle).runCli(process.argv.slice(2), importModule);
void ran.then(() => {
  // The build's warm-up asks for the cache once the command ran, on a port only it can pass.
  if (loaded !== undefined && cachePort !== undefined) {
    cachePort.postMessage({ cache: loaded.cache() });
    cachePort.close();
  }
});
