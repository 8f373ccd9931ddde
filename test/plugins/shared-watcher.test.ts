/**
 * sharedWatcher over a watcher someone else owns (Vite's `server.watcher`): it reports paths as
 * its owner added them, and a dev server whose root is reached through a symlink reports the
 * linked path. The plugin host's root is a real path: a change reported through the link must
 * still reload the plugin, and a path outside the root must not.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { sharedWatcher, type ReloadedEvent } from '../../src/index.js';
import { hostFor, pluginDir, sleep, until, write } from './support.js';

/** A chokidar-shaped source whose events the test emits, as a watcher of the linked path would. */
class OwnedWatcher extends EventEmitter {
  readonly added: string[] = [];
  add(paths: string): this {
    this.added.push(paths);
    return this;
  }
}

const links: string[] = [];
afterEach(() => {
  for (const dir of links.splice(0)) rmSync(dir, { recursive: true, force: true });
});

it('places a change reported through a symlink to the root, and ignores one outside it', async () => {
  const root = pluginDir({ 'p.mjs': 'export const version = 1;\n' });
  const outside = pluginDir({ 'p.mjs': 'export const version = 1;\n' });
  const linkParent = mkdtempSync(path.join(tmpdir(), 'esm-link-'));
  links.push(linkParent);
  const linked = path.join(linkParent, 'plugins');
  symlinkSync(root, linked, 'dir');
  const owned = new OwnedWatcher();
  const host = await hostFor({ root, plugins: { p: './p.mjs' }, watch: sharedWatcher(owned) });
  expect(owned.added).toEqual([root]);
  const reloads: ReloadedEvent[] = [];
  host.on('reloaded', (event) => reloads.push(event));

  write(outside, 'p.mjs', 'export const version = 3;\n');
  owned.emit('all', 'change', path.join(outside, 'p.mjs'));
  write(root, 'p.mjs', 'export const version = 2;\n');
  owned.emit('all', 'change', path.join(linked, 'p.mjs'));
  await until(async () => (await host.plugin('p').exports.version) === 2, 5_000, 'version 2');
  await sleep(200);
  expect(reloads).toHaveLength(1);
  expect(reloads[0]!.changed).toEqual([path.join(root, 'p.mjs')]);
});
