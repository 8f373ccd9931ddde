/**
 * `esm-sandbox watch` as users run it: the compiled CLI in a plain `node` child, a real file
 * edited on disk, the same process printing each new default export or the error, and a clean exit
 * on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const save = (file: string, source: string) => {
  writeFileSync(`${file}.tmp`, source);
  renameSync(`${file}.tmp`, file);
};

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it('prints the default export, then each new one or the error, in one process, until SIGTERM', async () => {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'esm-watch-cli-')));
  dirs.push(dir);
  const entry = path.join(dir, 'main.mjs');
  writeFileSync(path.join(dir, 'dep.mjs'), 'export const n = 1;\n');
  writeFileSync(entry, "import { n } from './dep.mjs';\nexport default { n };\n");
  const child = spawn(process.execPath, [cli, 'watch', entry, '--json'], { env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await until(() => stderr.includes('watching'), 15_000, 'the watch to start');
    expect(JSON.parse(stdout)).toEqual({ n: 1 });
    save(path.join(dir, 'dep.mjs'), 'export const n = 2;\n');
    await until(() => /"n": 2/.test(stdout), 15_000, 'the second run');
    save(path.join(dir, 'dep.mjs'), 'export const n = ;\n');
    await until(() => stderr.includes('SandboxSyntaxError'), 15_000, 'the error');
    expect(stderr).toContain('dep.mjs:1:');
    save(path.join(dir, 'dep.mjs'), 'export const n = 3;\n');
    await until(() => /"n": 3/.test(stdout), 15_000, 'the third run');
    expect(stdout.match(/"n": \d/g)).toEqual(['"n": 1', '"n": 2', '"n": 3']);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
}, 60_000);
