/**
 * `process` isolation's own machinery, with real child processes: values and synchronous calls
 * through the relay, a child killed from outside (SIGKILL, SIGABRT: an abort or a `process.exit`
 * reached through a bug look the same from here) failing only its sandboxes with a typed error,
 * the RSS cap, pools of children, the CLI flag, and a host that exits while children idle.
 * The children run dist/process/child-main.js: `npm run build` first (npm test does).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createSandbox, createSandboxPool, DisposedError, MemoryLimitError, SandboxCrashedError, type Sandbox } from '../../src/index.js';
import { ChildProcessCarrier } from '../../src/process/child.js';
import { normalizeOptions } from '../../src/sandbox/options.js';
import { WorkerSandbox } from '../../src/worker/worker-sandbox.js';
import { childPid, exited } from '../helpers/process.js';
import { fixtures, poolsAt, rejection } from '../helpers/sandbox.js';

const root = fixtures('process');
const repo = fileURLToPath(new URL('../../', import.meta.url));
const pools = poolsAt(root);
type Fns = Record<string, (...args: unknown[]) => Promise<unknown>>;

const hostApi = () => ({
  lookup: (key: string) => ({
    key,
    map: new Map([
      [key, 1],
      ['z', 2],
    ]),
    bytes: new Uint8Array([1, 2, 3]),
    at: new Date(0),
  }),
  later: (ms: number) => new Promise((resolve) => setTimeout(() => resolve(ms), ms)),
  shout: (text: string) => text.toUpperCase(),
});

/** Rejections nobody handled while `work` ran (the host must have none, ever). */
async function unhandledDuring(work: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => {
    seen.push(reason);
  };
  process.on('unhandledRejection', listener);
  try {
    await work();
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    process.off('unhandledRejection', listener);
  }
  return seen;
}

describe('process isolation', () => {
  it('carries Maps, typed arrays and dates both ways, answers synchronous host calls, settles host promises, relays console', async () => {
    const lines: unknown[] = [];
    const sandbox = createSandbox({
      root,
      isolation: 'process',
      modules: { 'host:api': hostApi() },
      console: (level, args) => lines.push([level, ...args]),
    });
    try {
      expect(sandbox.isolation).toBe('process');
      const ns = await sandbox.import<Fns>('./relay.mjs');
      expect(ns.default).toBe('relay');
      const out = (await ns.fromHost!()) as {
        found: { map: Map<string, number>; bytes: Uint8Array; at: Date };
        size: number;
        bytes: number[];
        late: boolean;
      };
      expect(out.found.map).toEqual(
        new Map([
          ['b', 1],
          ['z', 2],
        ]),
      );
      expect(out.found.bytes).toEqual(new Uint8Array([1, 2, 3]));
      expect(out.found.at).toEqual(new Date(0));
      expect([out.size, out.bytes, out.late]).toEqual([2, [1, 2, 3], true]);
      expect(await ns.afterHost!()).toBe(21);
      expect(await ns.talk!('hi')).toBe('HI');
      expect(lines).toEqual([['log', 'said', 'hi']]);
      // The child is a real process of its own.
      expect(childPid(sandbox)).not.toBe(process.pid);
    } finally {
      await sandbox.dispose();
    }
  });

  for (const signal of ['SIGKILL', 'SIGABRT'] as const) {
    it(`a child killed by ${signal} fails only its sandboxes, with SandboxCrashedError; the next sandbox gets a fresh child`, async () => {
      const reports: Error[] = [];
      const unhandled = await unhandledDuring(async () => {
        // Two sandboxes share the default lane's child; a third, with a memory limit, has its own.
        const busy = createSandbox({ root, isolation: 'process', modules: { 'host:api': hostApi() } });
        const idle = createSandbox({ root, isolation: 'process', onError: (error) => reports.push(error) });
        const other = createSandbox({ root, isolation: 'process', memoryLimitMb: 64 });
        const busyNs = await busy.import<Fns>('./relay.mjs');
        await idle.evaluate('export default 1');
        const otherNs = await other.evaluate<Fns>('export const add = (a, b) => a + b;');
        const pid = childPid(busy);
        expect(childPid(idle)).toBe(pid);
        expect(childPid(other)).not.toBe(pid);
        const pending = busyNs.afterHost!();
        process.kill(pid, signal);
        const error = await rejection(pending);
        expect(error).toBeInstanceOf(SandboxCrashedError);
        expect(error.code).toBe('ERR_SANDBOX_CRASHED');
        expect(String(error.message)).toContain(`killed by ${signal}`);
        expect(busy.disposed && idle.disposed).toBe(true);
        // Nobody was waiting on `idle`: its owner hears of it through onError, as in context isolation.
        expect(reports.map((e) => e.constructor)).toEqual([SandboxCrashedError]);
        await expect(busyNs.add!(1, 2)).rejects.toBeInstanceOf(DisposedError);
        expect(await otherNs.add!(2, 3)).toBe(5);
        const next = createSandbox({ root, isolation: 'process' });
        expect((await next.evaluate('export default 2 + 2')).default).toBe(4);
        expect(childPid(next)).not.toBe(pid);
        await Promise.all([busy, idle, other, next].map((s) => s.dispose()));
      });
      expect(unhandled).toEqual([]);
    });
  }

  it('a child whose resident size passes its cap is killed, and its sandboxes fail with MemoryLimitError', async () => {
    // A cap below what any Node process needs: the child's own watch reports it at once.
    const carrier = new ChildProcessCarrier(64, { rssCapMb: 16 });
    const options = { root, isolation: 'process' as const, memoryLimitMb: 64 };
    const sandbox: Sandbox = new WorkerSandbox(options, normalizeOptions(options), carrier);
    // The watch runs every 100 ms: the evaluation waits on a timer so the kill finds it pending
    // (a plain `export default 1` could finish first on a quick start).
    const error = await rejection(sandbox.evaluate('await new Promise((resolve) => setTimeout(resolve, 5_000)); export default 1'));
    expect(error).toBeInstanceOf(MemoryLimitError);
    expect(await exited(carrier.pid!)).toBe(true);
  });

  it('pools of children: tasks in fresh sandboxes, children recycled by budget and the old ones ended', async () => {
    const p = pools({ isolation: 'process', size: 2, recycle: { contexts: 2 } });
    const pids = new Set<number>();
    for (let i = 0; i < 12; i++) {
      expect(
        await p.run(async (sandbox) => {
          pids.add(childPid(sandbox));
          expect(sandbox.isolation).toBe('process');
          return (await sandbox.evaluate(`export default globalThis.seen ?? ${i}; globalThis.seen = 'leak';`)).default;
        }),
      ).toBe(i);
    }
    expect(pids.size).toBeGreaterThanOrEqual(3);
    await p.close();
    for (const pid of pids) expect(await exited(pid), `child ${pid}`).toBe(true);
  });

  it('a pool replaces a child that crashed', async () => {
    const p = pools({ isolation: 'process', size: 1 });
    const first = p.create();
    await first.evaluate('export default 1');
    process.kill(childPid(first), 'SIGKILL');
    await expect(first.evaluate('export default 2')).rejects.toThrow(/SIGKILL|disposed/);
    expect(await p.run(async (sandbox) => (await sandbox.evaluate('export default 3')).default)).toBe(3);
  });

  it('bad input to the new options names the option', () => {
    expect(() => createSandboxPool({ isolation: 'thread' as never })).toThrow(
      /isolation must be "worker" or "process" for a pool, got thread/,
    );
    expect(() => createSandbox({ isolation: 'processes' as never })).toThrow(/isolation must be .*"process", got processes/);
    expect(() => createSandbox({ isolation: 'context', memoryLimitMb: 64 })).toThrow(/memoryLimitMb needs isolation "worker" or "process"/);
    expect(() => createSandbox({ isolation: 'process', memoryLimitMb: -1 })).toThrow(/memoryLimitMb/);
  });
});

describe('process isolation from the built package', () => {
  const node = (args: string[]) =>
    spawnSync(process.execPath, args, {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
      timeout: 30_000,
    });
  const dir = fileURLToPath(root);

  it('the CLI runs a module with --isolation process, and refuses an unknown isolation naming the flag', () => {
    const cli = path.join(repo, 'dist/cli/main.js');
    const ok = node([
      cli,
      'run',
      path.join(dir, 'relay.mjs'),
      '--isolation',
      'process',
      '--json',
      '--allow',
      `host:api=${path.join(dir, 'host-api.mjs')}`,
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toBe('relay');
    const bad = node([cli, 'run', path.join(dir, 'relay.mjs'), '--isolation', 'threads']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--isolation must be auto, context, worker or process, got "threads"');
  });

  it('a host with idle process sandboxes exits on its own, and its children go with it', async () => {
    const script = `import { createSandbox } from ${JSON.stringify(path.join(repo, 'dist/index.js'))};
      const s = createSandbox({ isolation: 'process', root: ${JSON.stringify(dir)} });
      console.log((await s.evaluate('export default 6 * 7')).default, s.thread.pid);`;
    const result = node(['--input-type=module', '-e', script]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const [answer, pid] = result.stdout.trim().split(' ').map(Number);
    expect(answer).toBe(42);
    expect(await exited(pid!)).toBe(true);
  });
});
