/**
 * Contexts that ever held a `vm.SourceTextModule` are never collected (docs/ARCHITECTURE.md section 9,
 * nodejs/node#41101). These tests measure that fact, so the recycling budget can grow the day
 * Node fixes it, and show what each isolation does about it: 1,000 sandboxes created and disposed
 * in one host, each keeping ~200 KB alive in its context.
 */
import { setFlagsFromString } from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/index.js';
import { fixtures } from '../helpers/sandbox.js';

setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const root = fixtures('worker');
const MB = 1_048_576;

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Create, use and dispose `count` sandboxes one after another. */
async function churn(count: number, isolation: 'context' | 'worker'): Promise<void> {
  for (let i = 0; i < count; i++) {
    const sandbox = createSandbox({ root, isolation });
    expect((await sandbox.import('./retain.mjs')).default).toBe(25_000);
    await sandbox.dispose();
  }
}

describe('contexts and memory', () => {
  it('Node still never collects a context that held a SourceTextModule (raise the budget when this fails)', async () => {
    const collected = { script: 0, module: 0 };
    const registry = new FinalizationRegistry<'script' | 'module'>((kind) => {
      collected[kind]++;
    });
    for (let i = 0; i < 20; i++) {
      const scriptContext = vm.createContext();
      new vm.Script('globalThis.x = 1').runInContext(scriptContext);
      registry.register(scriptContext, 'script');
      const moduleContext = vm.createContext();
      new vm.SourceTextModule('export default 1', { context: moduleContext });
      registry.register(moduleContext, 'module');
    }
    for (let i = 0; i < 10 && collected.script < 20; i++) await settle();
    // The control: plain contexts are collected.
    expect(collected.script).toBeGreaterThan(10);
    // The fact the worker recycling exists for. If Node fixes it, this fails: then let
    // `context` isolation serve long-running hosts and raise the default recycle budget.
    expect(collected.module).toBe(0);
  });

  it('worker isolation: 1,000 sandboxes in one host, memory stays bounded (threads are recycled)', async () => {
    await churn(100, 'worker');
    await settle();
    const before = process.memoryUsage();
    await churn(900, 'worker');
    await settle();
    const after = process.memoryUsage();
    const rssGrowth = (after.rss - before.rss) / MB;
    const heapGrowth = (after.heapUsed - before.heapUsed) / MB;
    console.log(`worker: 900 more sandboxes: rss ${rssGrowth.toFixed(1)} MB, host heap ${heapGrowth.toFixed(1)} MB`);
    // Unbounded, 900 contexts of ~350 KB each would be ~300 MB; recycling keeps it to a few threads' worth.
    expect(rssGrowth).toBeLessThan(100);
    expect(heapGrowth).toBeLessThan(20);
  }, 120_000);

  it('context isolation: the same churn grows the host heap for good (use worker isolation for long-lived hosts)', async () => {
    await churn(20, 'context');
    await settle();
    const before = process.memoryUsage().heapUsed;
    await churn(300, 'context');
    await settle();
    const growth = (process.memoryUsage().heapUsed - before) / MB;
    console.log(`context: 300 sandboxes: host heap +${growth.toFixed(1)} MB, never given back`);
    expect(growth).toBeGreaterThan(30);
  }, 120_000);
});
