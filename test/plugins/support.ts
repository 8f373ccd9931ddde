/**
 * Real plugin folders in temp directories, and the ways editors save a file.
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  openSync,
  ftruncateSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { createPluginHost, type PluginHost, type PluginHostOptions } from '../../src/index.js';

/** A fresh temp folder holding `files` (relative path → source); removed after the test. */
export function pluginDir(files: Record<string, string>): string {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'esm-plugins-')));
  for (const [file, source] of Object.entries(files)) write(dir, file, source);
  dirs.push(dir);
  return dir;
}

const dirs: string[] = [];
const hosts: PluginHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A host closed after the test. */
export async function hostFor(options: PluginHostOptions): Promise<PluginHost> {
  const host = await createPluginHost(options);
  hosts.push(host);
  return host;
}

export function write(dir: string, file: string, source: string): void {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), source);
}

/** Save as vim and many IDEs do: write a temporary file, then rename it over the original. */
export function renameOver(dir: string, file: string, source: string): void {
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  writeFileSync(temp, source);
  renameSync(temp, path.join(dir, file));
}

/** Save by copying a finished file over the original (same inode, new content). */
export function copyOver(dir: string, file: string, source: string): void {
  const temp = path.join(tmpdir(), `esm-copy-${process.pid}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(temp, source);
  copyFileSync(temp, path.join(dir, file));
  unlinkSync(temp);
}

/** Truncate, pause, then write: a reader in between sees an empty file. */
export async function truncateThenWrite(dir: string, file: string, source: string): Promise<void> {
  const fd = openSync(path.join(dir, file), 'r+');
  ftruncateSync(fd, 0);
  await sleep(20);
  writeSync(fd, source, 0);
  closeSync(fd);
}

export async function deleteThenRecreate(dir: string, file: string, source: string): Promise<void> {
  unlinkSync(path.join(dir, file));
  await sleep(20);
  writeFileSync(path.join(dir, file), source);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Poll `check` until it returns true, or fail after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 5_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}
