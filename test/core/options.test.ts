/**
 * The one kind of error the public API throws that is not an EsmSandboxError (docs/ERRORS.md): a
 * bad option is a TypeError whose message begins with the option's name, so a caller knows which
 * one to fix without reading the source.
 */
import { mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createSandbox, createSandboxPool, loadConfig, type SandboxOptions } from '../../src/index.js';
import { fixtures } from '../helpers/sandbox.js';

const root = fixtures('basic');

const badSandboxOptions: Array<[string, Record<string, unknown>]> = [
  ['root', { root: new URL('./no-such-folder/', root) }],
  ['root', { root: new URL('./main.mjs', root) }],
  ['isolation', { isolation: 'sideways' }],
  ['memoryLimitMb', { isolation: 'context', memoryLimitMb: 64 }],
  ['memoryLimitMb', { memoryLimitMb: -1 }],
  ['timeout', { timeout: 0 }],
  ['deadline', { deadline: 'soon' }],
  ['maxModuleBytes', { maxModuleBytes: -5 }],
  ['console', { console: 'yes' }],
  ['onError', { onError: {} }],
  ['onWarning', { onWarning: 1 }],
  ['modules', { modules: { './api.mjs': {} } }],
  ['modules', { modules: { 'app:api': 42 } }],
  ['policy', { policy: 'strict' }],
  ['policy', { policy: { preset: 'paranoid' } }],
  ['policy', { policy: { rules: [] } }],
  ['policy', { policy: { rules: { 'no-such-rule': 'error' } } }],
  ['policy', { policy: { rules: { 'no-debugger': 'loud' } } }],
];

describe('a bad option is a TypeError that names it', () => {
  it.each(badSandboxOptions)('createSandbox: %s in %j', (option, options) => {
    const attempt = () => createSandbox({ root, ...options } as SandboxOptions);
    expect(attempt).toThrow(TypeError);
    expect(attempt).toThrow(new RegExp(`^${option}\\b|\\b${option}\\b`));
  });

  it('root: a missing folder and a file each say which, and a link to a folder is followed to its real path', () => {
    expect(() => createSandbox({ root: new URL('./no-such-folder/', root) })).toThrow(/^root: .*no-such-folder\/? does not exist$/);
    expect(() => createSandbox({ root: new URL('./main.mjs', root) })).toThrow(/^root: .*main\.mjs is not a directory$/);
    const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'esm-sandbox-root-')));
    try {
      writeFileSync(path.join(dir, 'file.mjs'), '');
      symlinkSync(fileURLToPath(root), path.join(dir, 'to-folder'));
      symlinkSync(path.join(dir, 'file.mjs'), path.join(dir, 'to-file'));
      expect(createSandbox({ root: path.join(dir, 'to-folder'), isolation: 'context' }).root).toBe(realpathSync(fileURLToPath(root)));
      expect(createSandbox({ root: `${dir}/`, isolation: 'context' }).root).toBe(dir);
      expect(() => createSandbox({ root: path.join(dir, 'to-file') })).toThrow(/^root: .*to-file is not a directory$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("units are the option's own: bytes for maxModuleBytes, megabytes for memoryLimitMb", () => {
    expect(() => createSandbox({ root, maxModuleBytes: -5 })).toThrow(/^maxModuleBytes must be a positive number of bytes/);
    expect(() => createSandbox({ root, memoryLimitMb: -1 })).toThrow(/^memoryLimitMb must be a positive number of megabytes/);
  });

  it.each([
    ['size', { size: 0 }],
    ['memoryLimitMb', { memoryLimitMb: 4 }],
    ['recycle', { recycle: { contexts: 0 } }],
    ['timeout', { timeout: -1 }],
  ])('createSandboxPool: %s in %j', async (option, options) => {
    let pool: { close(): Promise<void> } | undefined;
    const attempt = () => {
      pool = createSandboxPool({ root, size: 1, ...options } as Parameters<typeof createSandboxPool>[0]);
    };
    try {
      expect(attempt).toThrow(TypeError);
      expect(attempt).toThrow(new RegExp(`^${option}\\b`));
    } finally {
      await pool?.close();
    }
  });

  it('loadConfig rejects with the same TypeError', async () => {
    await expect(loadConfig(new URL('./main.mjs', root), { timeout: -1 })).rejects.toThrow(/^timeout must be a positive number/);
  });
});
