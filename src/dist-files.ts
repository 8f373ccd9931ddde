/**
 * Where the build's files are, for code that starts a thread or a process on one of them.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The dist folder `folder` (e.g. `worker`) seen from `here` (an `import.meta.url`), found by a file
 * it holds: compiled output has it beside itself or, from the CLI's bundle (dist/cli/), one folder
 * over; under a TypeScript test runner (src/), dist has it.
 */
export function distFolder(here: string, folder: string, probe: string): URL {
  for (const dir of ['./', `../${folder}/`]) {
    if (existsSync(fileURLToPath(new URL(`${dir}${probe}`, here)))) return new URL(dir, here);
  }
  return new URL(`../../dist/${folder}/`, here);
}

/**
 * The entry a new thread should start on: `boot`, which loads the build's bundle with its code
 * cache, or the unbundled files when the bundle is missing or stale (load-bundle.cts); else
 * `unbundled` (a TypeScript test runner's view of src/, or a build without the boot files).
 */
export function threadEntry(dir: URL, unbundled: string, boot = 'boot.cjs'): URL {
  return new URL(existsSync(fileURLToPath(new URL(boot, dir))) ? boot : unbundled, dir);
}
