/**
 * The library as users run it: the build in dist/, loaded by Node itself. vitest.config.ts lists
 * dist/ in `server.deps.external`, so Vite's module runner does not transform it; a transformed
 * module reads every imported binding through a getter, which cost a host → sandbox call 12% more
 * CPU than the built code (an A/B of both in one bench process). The import is computed so that
 * `tsc` does not need a build to typecheck the benches; its type is the source's.
 *
 * A build older than any file under src/ is refused: `npm run bench` builds first.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const entry = path.join(repo, 'dist/index.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const dirent of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, dirent.name);
    newest = Math.max(newest, dirent.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

let builtAt: number;
try {
  builtAt = statSync(entry).mtimeMs;
} catch {
  throw new Error('the benches measure dist/: run `npm run build` first (or `npm run bench`, which does)');
}
if (newestSource(path.join(repo, 'src')) > builtAt) {
  throw new Error('dist/ is older than src/: run `npm run build` first (or `npm run bench`, which does)');
}

/** A module of the build, by its path under dist/: the same instance the library's own imports reach. */
export async function built<T>(relative: string): Promise<T> {
  return (await import(path.join(repo, 'dist', relative))) as T;
}

export const library = await built<typeof import('../../../src/index.js')>('index.js');
/** Internals the cache benches reset between rows. */
export const analysisCache = await built<typeof import('../../../src/analyze/analyze.js')>('analyze/analyze.js');
export const diskCache = await built<typeof import('../../../src/load/disk-cache.js')>('load/disk-cache.js');
