/**
 * Where the build's files are, for code that starts a thread or a process on one of them.
 */
import { existsSync, statSync } from 'node:fs';
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
 * The entry a new thread should start on: `boot` (which loads `bundle` with its code cache, see
 * load-bundle.cts) when the build bundled it, else `unbundled`. A bundle older than `unbundled`
 * is stale (tsc ran, the bundle step did not): not used.
 */
export function threadEntry(dir: URL, unbundled: string, bundle: string, boot = 'boot.cjs'): URL {
  const mtime = (name: string) => statSync(fileURLToPath(new URL(name, dir)), { throwIfNoEntry: false })?.mtimeMs;
  const bundled = mtime(bundle);
  const fresh = bundled !== undefined && bundled >= (mtime(unbundled) ?? Infinity) && mtime(boot) !== undefined;
  return new URL(fresh ? boot : unbundled, dir);
}
