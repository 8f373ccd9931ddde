/**
 * What the worker-isolation performance work changed (issue 4 targets; numbers in
 * test/bench/worker.bench.ts): the worker side loads as one bundle with V8's code cache
 * (src/worker/boot.cts), the heap is sampled rather than read on every reply, a pool reuses one
 * normalisation of its options for tasks without overrides, and a thread nobody uses yet warms
 * up (issue 14). Each must keep the behaviour.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createSandbox, TimeoutError, type SandboxPool } from '../../src/index.js';
import { ChildProcessCarrier } from '../../src/process/child.js';
import { normalizeOptions } from '../../src/sandbox/options.js';
import { ThreadLane } from '../../src/worker/lane.js';
import { WorkerThread } from '../../src/worker/thread.js';
import { WARM_UP_AFTER_MS, WARM_UP_ROUNDS } from '../../src/worker/warm-up.js';
import { WorkerSandbox } from '../../src/worker/worker-sandbox.js';
import { fixtures, poolsAt } from '../helpers/sandbox.js';

const root = fixtures('worker');
const bundle = fileURLToPath(new URL('../../dist/worker/worker-bundle.cjs', import.meta.url));
const realmSource = new URL('../../dist/run/realm-source/index.js', import.meta.url).href;
const pool = poolsAt(root);

describe('worker start', () => {
  // Without rolldown the build makes no bundle and threads load worker-main.js unbundled.
  it.skipIf(!existsSync(bundle))(
    'the bundle has a code cache made from it, which V8 in a worker thread accepts, and so has the realm bootstrap',
    async () => {
      const cache = readFileSync(`${bundle}.cache`);
      // The same compiles as load-bundle.cts, in a thread started the way the library starts them. The
      // cache file: the bundle's SHA-1, the length of the bundle's cache (4 bytes), that cache, the bootstrap's.
      const worker = new Worker(
        `
      const { hash } = require('node:crypto');
      const { readFileSync } = require('node:fs');
      const vm = require('node:vm');
      const file = ${JSON.stringify(bundle)};
      const bytes = readFileSync(file);
      const source = bytes.toString('latin1');
      const digest = hash('sha1', bytes, 'buffer');
      const stored = readFileSync(file + '.cache');
      const end = digest.length + 4 + stored.readUInt32LE(digest.length);
      const script = new vm.Script('(function (exports, require, module, __filename, __dirname) { ' + source + '\\n})',
        { filename: file, cachedData: stored.subarray(digest.length + 4, end) });
      import(${JSON.stringify(realmSource)}).then(({ BOOTSTRAP_SOURCE, BOOTSTRAP_FILENAME }) => {
        const bootstrap = new vm.Script(BOOTSTRAP_SOURCE, { filename: BOOTSTRAP_FILENAME, cachedData: stored.subarray(end) });
        require('node:worker_threads').parentPort.postMessage({
          matches: stored.subarray(0, digest.length).equals(digest),
          rejected: script.cachedDataRejected,
          bootstrapBytes: stored.length - end,
          bootstrapRejected: bootstrap.cachedDataRejected,
        });
      });
    `,
        { eval: true, execArgv: ['--experimental-vm-modules'], resourceLimits: { maxOldGenerationSizeMb: 64 } },
      );
      const result = await new Promise<Record<string, unknown>>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      await worker.terminate();
      expect(cache.length).toBeGreaterThan(100_000);
      // A stale cache (a rebuilt bundle) would not match; a rejected one would cost ~15 ms per thread
      // start, a rejected bootstrap's ~3 ms at the thread's first realm.
      expect(result).toEqual({ matches: true, rejected: false, bootstrapBytes: expect.any(Number), bootstrapRejected: false });
      expect(result.bootstrapBytes).toBeGreaterThan(10_000);
    },
  );
});

describe("a bundle read by another thread (the CLI's main thread, src/cli/bin.cts)", () => {
  const cliBundle = fileURLToPath(new URL('../../dist/cli/cli-bundle.cjs', import.meta.url));
  const inThread = fileURLToPath(new URL('../../dist/cli/in-thread.js', import.meta.url));
  const loader = fileURLToPath(new URL('../../dist/load-bundle.cjs', import.meta.url));

  it.skipIf(!existsSync(cliBundle))('moves to the thread that compiles it without a copy, and loads there as if read there', async () => {
    const bundles = createRequire(import.meta.url)(loader) as typeof import('../../src/load-bundle.cjs');
    const files = bundles.readBundle(cliBundle, inThread)!;
    expect(files.cachedData?.length).toBeGreaterThan(100_000);
    expect(files.bootstrapCache?.length).toBeGreaterThan(10_000);
    const transfer = bundles.transferList(files);
    // The bundle's buffer and the cache file's, whole: nothing of Node's shared pool goes with them.
    expect(transfer.map((buffer) => buffer.byteLength).sort()).toEqual(
      [files.bytes.byteLength, readFileSync(`${cliBundle}.cache`).length].sort(),
    );
    const worker = new Worker(
      `const threads = require('node:worker_threads');
      const { loadBundle } = require(${JSON.stringify(loader)});
      const { files } = threads.receiveMessageOnPort(threads.parentPort).message;
      const loaded = loadBundle(${JSON.stringify(cliBundle)}, ${JSON.stringify(inThread)}, files);
      threads.parentPort.postMessage({ runCli: typeof loaded.exports.runCli, cache: loaded.cache().length });`,
      { eval: true, execArgv: ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning'] },
    );
    worker.postMessage({ files }, transfer);
    // Transferred: gone from this thread.
    expect(files.bytes.byteLength).toBe(0);
    const result = await new Promise<Record<string, unknown>>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(result).toEqual({ runCli: 'function', cache: expect.any(Number) });
  });
});

describe('a small bundle read by another thread', () => {
  it("is in a buffer of its own, not a slice of Node's shared pool, so it can be transferred too", async () => {
    const loader = fileURLToPath(new URL('../../dist/load-bundle.cjs', import.meta.url));
    const bundles = createRequire(import.meta.url)(loader) as typeof import('../../src/load-bundle.cjs');
    const dir = mkdtempSync(path.join(tmpdir(), 'esm-sandbox-small-bundle-'));
    try {
      const unbundled = path.join(dir, 'entry.js');
      const file = path.join(dir, 'bundle.cjs');
      writeFileSync(unbundled, '');
      writeFileSync(file, 'module.exports.answer = 42;');
      writeFileSync(`${file}.cache`, 'not a cache');
      const files = bundles.readBundle(file, unbundled)!;
      const { port1, port2 } = new MessageChannel();
      const received = new Promise<unknown>((resolve) => port2.once('message', resolve));
      port1.postMessage(files, bundles.transferList(files));
      const moved = (await received) as { bytes: Uint8Array };
      port1.close();
      port2.close();
      expect(Buffer.from(moved.bytes).toString('latin1')).toBe('module.exports.answer = 42;');
      expect(bundles.loadBundle(file, unbundled, moved as typeof files)?.exports.answer).toBe(42);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pool tasks share one normalisation of the options', () => {
  // A turn that never ends: the TimeoutError names the timeout the sandbox was built with.
  const timeoutOf = (p: SandboxPool, overrides?: { timeout: number }): Promise<unknown> =>
    p.run(async (sandbox) => {
      const error: unknown = await sandbox.evaluate('for (;;) {}').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TimeoutError);
      return (error as TimeoutError).timeout;
    }, overrides);

  it('tasks without overrides get the pool options, tasks with overrides their own', async () => {
    const p = pool({ size: 1, timeout: 40 });
    expect(await timeoutOf(p)).toBe(40);
    expect(await timeoutOf(p, { timeout: 60 })).toBe(60);
    // The override did not leak into the shared normalisation.
    expect(await timeoutOf(p)).toBe(40);
  });
});

describe('heap budget', () => {
  it('a thread past its heap budget is recycled (the heap is sampled, still reported)', async () => {
    // Every thread's heap is above 1 MB: after the first reply reports it, the thread is spent.
    const p = pool({ size: 1, recycle: { contexts: 1_000, heapMb: 1 } });
    for (let i = 0; i < 3; i++) {
      expect(await p.run(async (sandbox) => (await sandbox.import<{ default: number }>('./task.mjs')).default)).toBe(187);
    }
    expect(p.stats().started).toBeGreaterThanOrEqual(3);
  });
});

describe("a thread's warm-up in idle time (src/worker/warm-up.ts)", () => {
  const options = { root, isolation: 'worker' as const };
  const settle = async (until: () => boolean, ms: number): Promise<void> => {
    for (const end = Date.now() + ms; !until() && Date.now() < end;) await new Promise((resolve) => setTimeout(resolve, 20));
  };

  it("a lane's thread nobody uses warms up with sandboxes of its own, then serves the host as any other", async () => {
    const lane = new ThreadLane();
    const thread = lane.acquire();
    await settle(() => thread.warmedUp === WARM_UP_ROUNDS, 10_000);
    expect(thread.warmedUp).toBe(WARM_UP_ROUNDS);
    // Its own sandboxes are not the lane's: none counted, none of the host's tenants.
    expect([thread.created, thread.size]).toEqual([0, 0]);
    const sandbox = new WorkerSandbox(options, normalizeOptions(options), thread);
    const ns = await sandbox.evaluate<{ f(x: number): Promise<number> }>('export const f = (x) => x * 2;');
    expect(await ns.f(21)).toBe(42);
    await sandbox.dispose();
    lane.close();
  });

  it('a thread whose first sandbox was waiting for it serves that sandbox and does not warm up', async () => {
    const thread = new WorkerThread(undefined, true);
    const sandbox = new WorkerSandbox(options, normalizeOptions(options), thread);
    expect((await sandbox.evaluate<{ default: number }>('export default 7')).default).toBe(7);
    await sandbox.dispose();
    // Well past when a warm-up would have started and ended.
    await new Promise((resolve) => setTimeout(resolve, WARM_UP_AFTER_MS + 500));
    expect(thread.warmedUp).toBe(0);
    thread.retire();
  });

  it("a sandbox's own thread (memoryLimitMb) never warms up, even when its first request comes late", async () => {
    const sandbox = createSandbox({ ...options, memoryLimitMb: 64 });
    const thread = (sandbox as unknown as { thread: WorkerThread }).thread;
    await settle(() => thread.ready, 10_000);
    await new Promise((resolve) => setTimeout(resolve, WARM_UP_AFTER_MS + 500));
    expect(thread.warmedUp).toBe(0);
    expect((await sandbox.evaluate<{ default: number }>('export default 8')).default).toBe(8);
    await sandbox.dispose();
  });

  it("a process lane's child warms up its worker the same way", async () => {
    const child = new ChildProcessCarrier(undefined, { warmUp: true });
    await settle(() => child.warmedUp === WARM_UP_ROUNDS, 15_000);
    expect(child.warmedUp).toBe(WARM_UP_ROUNDS);
    child.retire();
  });
});
