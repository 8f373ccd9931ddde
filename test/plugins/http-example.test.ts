/**
 * fixtures/plugin-server: the plain node:http example, run as users run it (a child process,
 * the built package), on a copy of its plugin folder edited while it serves.
 */
import { spawn } from 'node:child_process';
import { cpSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { pluginDir, until } from './support.js';

const server = fileURLToPath(new URL('../../fixtures/plugin-server/server.mjs', import.meta.url));
const plugins = fileURLToPath(new URL('../../fixtures/plugin-server/plugins/', import.meta.url));

it('serves the plugin, picks up an edit with its hot.data count, and keeps serving through a broken one', async () => {
  const dir = pluginDir({});
  cpSync(plugins, dir, { recursive: true });
  const child = spawn(process.execPath, [server, dir, '0'], { env: { ...process.env, NODE_OPTIONS: '' } });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    out += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await until(() => /listening on (\S+)/.test(out), 15_000, 'the server');
    const base = /listening on (\S+)/.exec(out)![1]!;
    const get = async () => (await fetch(`${base}/hello`)).text();
    expect(await get()).toBe('hello, visitor 1\n');
    const file = path.join(dir, 'hello.mjs');
    const edited = (await import('node:fs')).readFileSync(file, 'utf8').replace('hello, visitor', 'welcome back, visitor');
    writeFileSync(`${file}.tmp`, edited);
    renameSync(`${file}.tmp`, file);
    await until(() => out.includes('reloaded hello'), 15_000, 'the reload');
    expect(await get()).toBe('welcome back, visitor 2\n');
    writeFileSync(`${file}.tmp`, 'export function handle( {');
    renameSync(`${file}.tmp`, file);
    await until(() => out.includes('syntax failed'), 15_000, 'the rollback');
    expect(await get()).toBe('welcome back, visitor 3\n');
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
}, 60_000);
