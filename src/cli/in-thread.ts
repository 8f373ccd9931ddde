/**
 * The CLI run in this thread: its standard streams, and the run itself. The launcher (main.ts)
 * runs it where `vm.SourceTextModule` exists; the build also bundles it, as the CLI thread's whole
 * code (scripts/bundle-worker.mjs, loaded by cli/boot.cts).
 */
import { workerData } from 'node:worker_threads';
import { main } from './commands.js';
import type { Io } from './flags.js';

// For the boot file that loads this thread's bundle (load-bundle.cts): the bootstrap's code cache in and out.
export { bootstrapCacheData, useBootstrapCache } from '../run/warm-realms.js';

/**
 * Run the command line `argv`; resolves with the exit code, also set as `process.exitCode`.
 * `importModule` is the caller's `import()` (see Io).
 */
export async function runCli(argv: readonly string[], importModule: Io['importModule']): Promise<number> {
  const stdio: Io = {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    color: (workerData as { color?: boolean } | undefined)?.color ?? (process.stdout.isTTY === true && !process.env.NO_COLOR),
    importModule,
  };
  // `esm-sandbox config x | head`: a reader that goes away is not a failure of ours.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
  return (process.exitCode = await main(argv, stdio));
}
