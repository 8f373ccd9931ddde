/**
 * ChangeTracker: content hashes decide, after a quiet period; a file caught empty between an
 * editor's truncate and its write is read again rather than taken as the new content.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ChangeTracker } from '../../src/plugins/changes.js';
import { pluginDir, sleep } from './support.js';

it('a file read empty mid-write is read again: one change, hashed as its final content', async () => {
  const dir = pluginDir({ 'a.mjs': 'export const a = 1;\n' });
  const file = path.join(dir, 'a.mjs');
  const batches: string[][] = [];
  const tracker = new ChangeTracker(10, (files) => batches.push(files));
  await tracker.remember([file]);
  writeFileSync(file, '');
  tracker.notify(file);
  // The quiet period ends and the tracker reads the empty file; the write lands while it waits.
  await sleep(22);
  writeFileSync(file, 'export const a = 2;\n');
  await sleep(150);
  expect(batches).toEqual([[file]]);
  // Had it taken the empty read as the content, this save of the same text would be a change.
  tracker.notify(file);
  await sleep(100);
  expect(batches).toHaveLength(1);
  await tracker.close();
});

it('events without a content change, and temporary files that came and went, are no change', async () => {
  const dir = pluginDir({ 'a.mjs': 'export const a = 1;\n' });
  const file = path.join(dir, 'a.mjs');
  const batches: string[][] = [];
  const tracker = new ChangeTracker(10, (files) => batches.push(files));
  await tracker.remember([file]);
  for (let i = 0; i < 5; i++) tracker.notify(file);
  tracker.notify(path.join(dir, '.a.mjs.swp'));
  await sleep(100);
  expect(batches).toEqual([]);
  writeFileSync(file, 'export const a = 3;\n');
  tracker.notify(file);
  tracker.notify(file);
  await sleep(100);
  expect(batches).toEqual([[file]]);
  await tracker.close();
});
