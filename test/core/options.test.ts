/**
 * The one kind of error the public API throws that is not an EsmSandboxError (docs/ERRORS.md): a
 * bad option is a TypeError whose message begins with the option's name, so a caller knows which
 * one to fix without reading the source.
 */
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
