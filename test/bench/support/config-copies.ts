/**
 * Copies of a config fixture that Node can import natively (benches compare with that): the
 * `std:config` and `std:path` imports point at relative shims over `node:path`. One copy per
 * native iteration in a process, since native `import()` caches by URL.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const SHIMS: Record<string, string> = {
  'std:config': 'export const env = {};\nexport function defineConfig(config) { return config; }\n',
  'std:path': "import path from 'node:path';\nexport const { join, resolve, relative, dirname, basename, extname } = path.posix;\n",
};

/** `count` copies of the fixture whose `std:` imports point at native shims: one per native iteration. */
export function nativeCopies(fixture: string, entry: string, count: number): string[] {
  const base = mkdtempSync(path.join(os.tmpdir(), 'esm-sandbox-bench-config-'));
  const copies: string[] = [];
  for (let i = 0; i < count; i++) {
    const dir = path.join(base, String(i));
    cpSync(fixture, dir, { recursive: true });
    writeFileSync(path.join(dir, 'std-config.mjs'), SHIMS['std:config']!);
    writeFileSync(path.join(dir, 'std-path.mjs'), SHIMS['std:path']!);
    for (const file of walk(dir)) {
      if (!file.endsWith('.mjs') || file.includes('std-')) continue;
      const up = path.relative(path.dirname(file), dir) || '.';
      const text = readFileSync(file, 'utf8')
        .replaceAll("'std:config'", `'${up}/std-config.mjs'`)
        .replaceAll("'std:path'", `'${up}/std-path.mjs'`);
      writeFileSync(file, text);
    }
    copies.push(pathToFileURL(path.join(dir, entry)).href);
  }
  return copies;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}
