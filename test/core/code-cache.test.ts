/**
 * V8's code cache (link/code-cache.ts): made at a text's second compile, used from the third, for
 * files (their analysis keeps it) and for trusted sources (`SourceModule`, kept by text, since a
 * worker rebuilds the objects): a plugin sandbox compiles its `import.meta.hot` runtime on every
 * reload.
 */
import vm from 'node:vm';
import { expect, it } from 'vitest';
import { compileCached, type CodeCacheEntry } from '../../src/link/code-cache.js';
import { trustedCodeCache } from '../../src/link/allowed.js';
import { createSandbox, SourceModule } from '../../src/index.js';
import { fixtures } from '../helpers/sandbox.js';

const SOURCE = 'export const answer = [20, 22].reduce((a, b) => a + b, 0);';

async function evaluated(module: vm.SourceTextModule): Promise<Record<string, unknown>> {
  await module.link(() => {
    throw new Error('no imports');
  });
  await module.evaluate();
  return module.namespace as Record<string, unknown>;
}

it('makes the cache at the second compile and compiles from it afterwards', async () => {
  const entry: CodeCacheEntry = { compiles: 0, codeCache: undefined };
  const compile = () => compileCached(SOURCE, { context: vm.createContext() }, entry);
  expect((await evaluated(compile())).answer).toBe(42);
  expect(entry).toEqual({ compiles: 1, codeCache: undefined });
  expect((await evaluated(compile())).answer).toBe(42);
  expect(entry.codeCache).toBeInstanceOf(Buffer);
  const cache = entry.codeCache;
  expect((await evaluated(compile())).answer).toBe(42);
  expect(entry.compiles).toBe(2);
  expect(entry.codeCache).toBe(cache);
});

it('compiles without a cache when there is no entry', async () => {
  expect((await evaluated(compileCached(SOURCE, { context: vm.createContext() }, undefined))).answer).toBe(42);
});

it('keeps a code cache for a trusted source compiled in sandbox after sandbox, by its text', async () => {
  const source = `export const made = 'trusted ${Math.random()}';`;
  for (let i = 0; i < 3; i++) {
    // A new object each time, as a worker decodes one per sandbox.
    const sandbox = createSandbox({ root: fixtures('basic'), isolation: 'context', modules: { 'host:trusted': new SourceModule(source) } });
    expect((await sandbox.import('host:trusted')).made).toMatch(/^trusted /);
    await sandbox.dispose();
  }
  expect(trustedCodeCache(source).codeCache).toBeInstanceOf(Buffer);
  expect(trustedCodeCache(source).compiles).toBe(2);
});

it('gives no code cache to a trusted source that may call import() (it would lose its import callback)', async () => {
  const source = `export const load = () => import('host:other'); export const tag = ${Math.random()};`;
  for (let i = 0; i < 3; i++) {
    const sandbox = createSandbox({ root: fixtures('basic'), isolation: 'context', modules: { 'host:trusted': new SourceModule(source) } });
    expect(typeof (await sandbox.import('host:trusted')).tag).toBe('number');
    await sandbox.dispose();
  }
  expect(trustedCodeCache(source).compiles).toBe(0);
});
