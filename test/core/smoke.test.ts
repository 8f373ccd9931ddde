import { describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/index.js';

const root = new URL('../../fixtures/basic/', import.meta.url);

describe('smoke', () => {
  it('imports a graph with an allow-listed module', async () => {
    const sandbox = createSandbox({ root, modules: { 'app:api': { greeting: 'Hello' } } });
    const ns = await sandbox.import('./main.mjs');
    expect(ns.sum).toBe(5);
    expect(ns.default).toEqual({ sum: 5, greeting: 'Hello', when: new Date(0), tags: new Set(['a']) });
    expect(await (ns.hello as (n: string) => Promise<string>)('Ada')).toBe('Hello, Ada');
    await sandbox.dispose();
  });
});
