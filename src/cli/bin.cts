#!/usr/bin/env node
/**
 * The package's bin (`esm-sandbox`), and what `node dist/cli/main.js` runs: it only decides which
 * thread runs the CLI (commands.ts). CommonJS, so that a plain `node` reaches the CLI's thread
 * without starting its ES module loader first (~10-15 ms of a short command on the project's
 * machine, where the whole of `esm-sandbox config` is ~250 ms).
 *
 * Without --experimental-vm-modules (`vm.SourceTextModule` exists only with it) the CLI runs in a
 * worker thread that has the flag, on boot.cjs: the build's bundle of the CLI with its code cache
 * when there is a fresh one (cli/boot.cts), else the unbundled files.
 */
import path = require('node:path');
import vm = require('node:vm');
import threads = require('node:worker_threads');

const argv = process.argv.slice(2);
// watch runs its module in worker sandboxes (no flag needed) and must see this process's signals.
if (typeof vm.SourceTextModule === 'function' || argv[0] === 'watch') {
  void import('./in-thread.js').then(({ runCli }) => runCli(argv, (url) => import(url)));
} else {
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
  const flags = ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning'];
  const start = (execArgv: string[]) =>
    new threads.Worker(path.join(__dirname, 'boot.cjs'), { argv, execArgv, workerData: { esmSandboxCli: true, color } });
  let worker: threads.Worker;
  try {
    // The process's own flags (--conditions, --enable-source-maps...) apply in the thread too,
    worker = start([...process.execArgv, ...flags]);
  } catch (error) {
    // unless a thread cannot take one of them (--max-old-space-size, --stack-size): then ours alone.
    if ((error as NodeJS.ErrnoException).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
    worker = start(flags);
  }
  // The thread's first work is to read its bundle (~5 ms of a new thread's time): this thread,
  // idle until the CLI ends, reads it meanwhile and hands it over (cli/boot.cts). Required only
  // now: it loads node:crypto, which the thread's start waited for when it came first (~10 ms).
  const bundles = require('../load-bundle.cjs') as typeof import('../load-bundle.cjs');
  const files = bundles.readBundle(path.join(__dirname, 'cli-bundle.cjs'), path.join(__dirname, 'in-thread.js'));
  try {
    if (files !== undefined) worker.postMessage({ cliBundle: files }, bundles.transferList(files));
  } catch {
    // Only a speed-up: a thread that gets nothing reads the files itself.
  }
  worker.on('error', (error) => {
    // The thread died outside the CLI's own error handling: an exit code of failure, and why.
    void Promise.all([import('./commands.js'), import('./output.js')]).then(([{ EXIT }, { describeError }]) => {
      process.exitCode = EXIT.failed;
      process.stderr.write(`${describeError(error, false)}\n`);
    });
  });
  worker.on('exit', (code) => {
    if (process.exitCode === undefined || process.exitCode === 0) process.exitCode = code;
  });
}
