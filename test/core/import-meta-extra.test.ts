/**
 * `SandboxOptions.importMeta`: extra import.meta properties made by an allow-listed provider,
 * inside the realm (the plugin host's `import.meta.hot` is built this way).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { PolicyError, SourceModule } from '../../src/index.js';
import { describeEach, rejection } from '../helpers/sandbox.js';

const root = mkdtempSync(path.join(tmpdir(), 'esm-meta-'));
writeFileSync(
  path.join(root, 'reads.mjs'),
  `export const info = import.meta.info; export const again = import.meta.info === import.meta.info;
export const proto = Object.getPrototypeOf(import.meta.info) === Object.prototype;`,
);
const provider = new SourceModule(`export default (url) => ({ file: url.slice(url.lastIndexOf('/') + 1) });`);

describeEach('import.meta extra properties', ({ make }) => {
  it("gives each module the provider's value for its URL, built in the realm", async () => {
    const sandbox = make({ root, modules: { 'meta:info': provider }, importMeta: { info: 'meta:info' } });
    await sandbox.import('meta:info');
    const ns = await sandbox.import('./reads.mjs');
    expect(ns.info).toEqual({ file: 'reads.mjs' });
    expect(ns.again).toBe(true);
    expect(ns.proto).toBe(true);
  });

  it('a bridged host provider is called with the URL and its result copied in', async () => {
    const seen: string[] = [];
    const sandbox = make({
      root,
      modules: {
        'meta:info': {
          default: (url: string) => {
            seen.push(url);
            return { n: 1 };
          },
        },
      },
      importMeta: { info: 'meta:info' },
    });
    await sandbox.import('meta:info');
    const ns = await sandbox.import('./reads.mjs');
    expect(ns.info).toEqual({ n: 1 });
    expect(ns.proto).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/reads\.mjs$/);
  });

  it('without the option the strict policy refuses the name, as before; with it, accepts it', async () => {
    const error = await rejection<PolicyError>(make({ root, policy: { preset: 'strict' } }).import('./reads.mjs'));
    expect(error).toBeInstanceOf(PolicyError);
    expect(error.message).toContain('import.meta.info');
    const sandbox = make({ root, policy: { preset: 'strict' }, modules: { 'meta:info': provider }, importMeta: { info: 'meta:info' } });
    await sandbox.import('meta:info');
    expect((await sandbox.import('./reads.mjs')).info).toEqual({ file: 'reads.mjs' });
  });

  it('checks its names and specifiers', () => {
    expect(() => make({ root, importMeta: { info: 'meta:missing' } })).toThrow(/allow-list/);
    expect(() => make({ root, modules: { 'meta:info': provider }, importMeta: { url: 'meta:info' } })).toThrow(/cannot be/);
  });
});
