/**
 * The realm's bootstrap and the host speak through src/realm-protocol.ts: the numbers of jobs and
 * host operations are written there once and interpolated into the realm source. A number retyped
 * in a fragment would drift silently the day the protocol changes, so none may be.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { HostOp, Job } from '../../src/realm-protocol.js';
import { BOOTSTRAP_SOURCE } from '../../src/run/realm-source/index.js';

const folder = fileURLToPath(new URL('../../src/run/realm-source/', import.meta.url));

it('no realm source fragment retypes a protocol number', () => {
  const fragments = readdirSync(folder).filter((name) => name.endsWith('.ts'));
  expect(fragments.length).toBeGreaterThan(5);
  for (const name of fragments) {
    const text = readFileSync(folder + name, 'utf8');
    expect(text, name).not.toMatch(/callHost\(\s*\d/);
    expect(text, name).not.toMatch(/\bcase\s+\d+\s*:/);
    expect(text, name).not.toMatch(/\bjob\s*={1,3}\s*\d/);
  }
});

it('the assembled source asks only protocol operations of the host and runs only protocol jobs', () => {
  const ops = [...BOOTSTRAP_SOURCE.matchAll(/callHost\((\d+)/g)].map((m) => Number(m[1]));
  const jobs = [...BOOTSTRAP_SOURCE.matchAll(/\bcase (\d+):/g)].map((m) => Number(m[1]));
  // Every operation but Result is asked for somewhere; Result ends every turn.
  expect(new Set(ops)).toEqual(new Set(Object.values(HostOp)));
  expect(new Set([...jobs, Job.None])).toEqual(new Set(Object.values(Job)));
});
