/**
 * The plugin host's watcher with real files, real timers and chokidar: each way an editor saves
 * gives exactly one reload, a touch none, a burst of saves at most two, and two files saved within
 * one quiet period are never seen half applied.
 */
import { utimesSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PluginHost } from '../../src/index.js';
import { copyOver, deleteThenRecreate, hostFor, pluginDir, renameOver, sleep, truncateThenWrite, until, write } from './support.js';

const version = (v: number) => `export const version = ${v};\n`;
/** Long enough after a reload for a second one to have shown up: quiet period plus a build, twice. */
const SETTLE_MS = 600;

async function watched(files: Record<string, string>, plugins: Record<string, string> = { a: './a.mjs' }) {
  const root = pluginDir(files);
  const host = await hostFor({ root, plugins });
  const reloads: number[] = [];
  host.on('reloaded', (event) => reloads.push(event.generation));
  return { root, host, reloads };
}

async function expectOneReload(host: PluginHost, reloads: number[], want: number): Promise<void> {
  const before = reloads.length;
  await until(() => host.plugin('a').exports.version === want, 10_000, `version ${want}`);
  await sleep(SETTLE_MS);
  expect(reloads.length - before).toBe(1);
}

describe('plugin host: watching', () => {
  it('rename-over, copy-over, truncate+write, delete+recreate and a new subfolder each give exactly one reload', async () => {
    const { root, host, reloads } = await watched({ 'a.mjs': version(1) });
    renameOver(root, 'a.mjs', version(2));
    await expectOneReload(host, reloads, 2);
    copyOver(root, 'a.mjs', version(3));
    await expectOneReload(host, reloads, 3);
    await truncateThenWrite(root, 'a.mjs', version(4));
    await expectOneReload(host, reloads, 4);
    await deleteThenRecreate(root, 'a.mjs', version(5));
    await expectOneReload(host, reloads, 5);
    write(root, 'sub/deeper/b.mjs', 'export const six = 6;\n');
    write(root, 'a.mjs', "export { six as version } from './sub/deeper/b.mjs';\n");
    await expectOneReload(host, reloads, 6);
    // The new file is watched like the others.
    renameOver(root, 'sub/deeper/b.mjs', 'export const six = 7;\n');
    await expectOneReload(host, reloads, 7);
    expect(host.status('a').files).toContain(path.join(root, 'sub/deeper/b.mjs'));
  });

  it('a touch, or a save of the same content, gives no reload; nor does a file no plugin loaded', async () => {
    const { root, reloads } = await watched({ 'a.mjs': version(1), 'unused.mjs': '' });
    const now = new Date();
    utimesSync(path.join(root, 'a.mjs'), now, new Date(now.getTime() + 5_000));
    renameOver(root, 'a.mjs', version(1));
    write(root, 'unused.mjs', 'export const x = 1;\n');
    await sleep(SETTLE_MS);
    expect(reloads).toEqual([]);
  });

  it('20 saves within 100 ms give at most 2 reloads, and the last save wins', async () => {
    const { root, host, reloads } = await watched({ 'a.mjs': version(0) });
    for (let v = 1; v <= 20; v++) {
      write(root, 'a.mjs', version(v));
      await sleep(5);
    }
    await until(() => host.plugin('a').exports.version === 20, 10_000, 'version 20');
    await sleep(SETTLE_MS);
    expect(reloads.length).toBeGreaterThanOrEqual(1);
    expect(reloads.length).toBeLessThanOrEqual(2);
  });

  it('two interdependent files saved within one quiet period: a sampler never sees mixed versions', async () => {
    const own = (v: number) =>
      `import { dep } from './dep.mjs';\nexport const version = ${v};\nexport const pair = async () => [${v}, dep];\n`;
    const { root, host, reloads } = await watched({ 'a.mjs': own(1), 'dep.mjs': 'export const dep = 1;\n' });
    const seen: Array<[number, number]> = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        seen.push(await (host.plugin('a').exports.pair as () => Promise<[number, number]>)());
        await sleep(1);
      }
    })();
    await sleep(30);
    renameOver(root, 'a.mjs', own(2));
    await sleep(25);
    renameOver(root, 'dep.mjs', 'export const dep = 2;\n');
    await until(() => host.plugin('a').exports.version === 2, 10_000, 'version 2');
    await sleep(100);
    sampling = false;
    await sampler;
    expect(seen.some(([v]) => v === 1) && seen.some(([v]) => v === 2)).toBe(true);
    expect(seen.filter(([v, dep]) => v !== dep)).toEqual([]);
    expect(reloads).toHaveLength(1);
  });

  it('a broken save keeps the last good version; fixing a file the broken one had not reached reloads', async () => {
    const { root, host, reloads } = await watched({ 'a.mjs': version(1) });
    const rolled: string[] = [];
    host.on('rolled-back', (event) => rolled.push(event.phase));
    write(root, 'helper.mjs', 'export const two = ;\n');
    renameOver(root, 'a.mjs', "export { two as version } from './helper.mjs';\n");
    await until(() => rolled.length === 1, 10_000, 'rollback');
    expect(rolled).toEqual(['syntax']);
    expect(host.plugin('a').exports.version).toBe(1);
    renameOver(root, 'helper.mjs', 'export const two = 2;\n');
    await expectOneReload(host, reloads, 2);
  });
});
