#!/usr/bin/env node
/**
 * esm-sandbox CLI.
 *
 *   esm-sandbox run <file> [--allow spec=host-module.mjs ...] [--root dir] [--timeout ms] [--deadline ms] [--json] [--policy preset|off]
 *   esm-sandbox config <file> [--json] [--mode m] [--command c] [--env NAME ...] and the run flags
 *   esm-sandbox check <file> [--json] [--preset strict] [--rule id=severity ...] [--root dir] [--allow spec ...]
 *   esm-sandbox eval '<expression>' [--scope data.json] [--json] [--budget n]
 *   esm-sandbox render <template-file> [--scope data.json] [--escape html|none] [--budget n]
 *   esm-sandbox watch <file> and the run flags: run again on every change, until SIGINT/SIGTERM
 *
 * Exit codes: 0 success; 1 the module failed (load, policy, thrown, timeout, deadline), or for
 * check: errors found (warnings alone exit 0); 2 bad usage.
 * Without --experimental-vm-modules the CLI runs itself in a worker thread that has it: on the build's
 * bundle of the CLI with its code cache when there is a fresh one (cli/boot.cts), else on this file.
 * The commands are in commands.ts; this file only decides which thread runs them.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { threadEntry } from '../dist-files.js';
import { EXIT } from './commands.js';

export { EXIT, main } from './commands.js';

const inThread = () => import('./in-thread.js');

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (!isMainThread && (workerData as { esmSandboxCli?: boolean } | undefined)?.esmSandboxCli) {
  await (await inThread()).runCli(process.argv.slice(2), (url) => import(url));
} else if (invokedDirectly || process.argv[1]?.endsWith('esm-sandbox')) {
  // watch runs its module in worker sandboxes (no flag needed) and must see this process's signals.
  if (typeof vm.SourceTextModule === 'function' || process.argv[2] === 'watch') {
    await (await inThread()).runCli(process.argv.slice(2), (url) => import(url));
  } else {
    // This process lacks vm.SourceTextModule: run the same CLI in a worker that has it.
    const here = new URL('./', import.meta.url);
    const entry = threadEntry(here, path.basename(new URL(import.meta.url).pathname), 'cli-bundle.cjs');
    const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
    const flags = ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning'];
    const start = (execArgv: string[]) =>
      new Worker(entry, { argv: process.argv.slice(2), execArgv, workerData: { esmSandboxCli: true, color } });
    let worker: Worker;
    try {
      // The process's own flags (--conditions, --enable-source-maps...) apply in the thread too,
      worker = start([...process.execArgv, ...flags]);
    } catch (error) {
      // unless a thread cannot take one of them (--max-old-space-size, --stack-size): then ours alone.
      if ((error as NodeJS.ErrnoException).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
      worker = start(flags);
    }
    worker.on('error', (error) => {
      process.exitCode = EXIT.failed;
      void import('./output.js').then(({ describeError }) => process.stderr.write(`${describeError(error, false)}\n`));
    });
    worker.on('exit', (code) => {
      if (process.exitCode === undefined || process.exitCode === 0) process.exitCode = code;
    });
  }
}
