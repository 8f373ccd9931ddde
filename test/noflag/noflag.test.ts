/**
 * Nobody has to pass --experimental-vm-modules: plain `node` processes (no flag) use the built
 * package, which runs sandboxes in a flagged worker. Needs `npm run build` (npm test does it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const plainNode = (args: string[], input?: string) =>
  spawnSync(process.execPath, args, { cwd: repo, input, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 30_000 });

describe('without --experimental-vm-modules', () => {
  it('the library picks worker isolation and runs a graph with bridged host functions', () => {
    const script = `
      import { createSandbox } from './dist/index.js';
      const sandbox = createSandbox({ root: './fixtures/basic', modules: { 'app:api': { greeting: 'Hey', getUser: async (id) => ({ id, name: 'Ada' }) } } });
      const ns = await sandbox.import('./main.mjs');
      const user = await sandbox.evaluate("import { getUser } from 'app:api'; export default await getUser('u1');");
      const hello = await ns.hello('Bob');
      let timeout = '';
      try { await sandbox.evaluate('while (true) {}'); } catch (e) { timeout = e.code; }
      console.log(JSON.stringify({ isolation: sandbox.isolation, sum: ns.sum, hello, user: user.default, timeout, disposed: sandbox.disposed }));
    `;
    const result = plainNode(['--input-type=module', '-'], script);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      isolation: 'worker',
      sum: 5,
      hello: 'Hey, Bob',
      user: { id: 'u1', name: 'Ada' },
      timeout: 'ERR_SANDBOX_TIMEOUT',
      disposed: true,
    });
  });

  it('a memory bomb in a worker sandbox fails with MemoryLimitError and the host lives on', () => {
    const script = `
      import { createSandbox } from './dist/index.js';
      const sandbox = createSandbox({ root: './fixtures/basic', memoryLimitMb: 32 });
      let code = '';
      try { await sandbox.evaluate('const a = []; for (;;) a.push(new Array(1e5).fill(1));'); } catch (e) { code = e.code; }
      const again = createSandbox({ root: './fixtures/basic' });
      console.log(JSON.stringify({ code, disposed: sandbox.disposed, next: (await again.evaluate('export default 6 * 7')).default }));
      await again.dispose();
    `;
    const result = plainNode(['--input-type=module', '-'], script);
    expect(JSON.parse(result.stdout)).toEqual({ code: 'ERR_SANDBOX_MEMORY', disposed: true, next: 42 });
  });

  it('isolation "context" is refused with an UnsupportedError, and "auto" picks a worker', () => {
    const script = `
      import { createSandbox, EsmSandboxError, UnsupportedError } from './dist/index.js';
      let refused = {};
      try { createSandbox({ root: './fixtures/basic', isolation: 'context' }); } catch (e) {
        refused = { name: e.name, code: e.code, typed: e instanceof UnsupportedError && e instanceof EsmSandboxError, message: e.message };
      }
      const auto = createSandbox({ root: './fixtures/basic' });
      console.log(JSON.stringify({ refused, auto: auto.isolation }));
      await auto.dispose();
    `;
    const result = plainNode(['--input-type=module', '-'], script);
    expect(result.stderr).toBe('');
    const { refused, auto } = JSON.parse(result.stdout) as { refused: Record<string, unknown>; auto: string };
    expect(refused).toMatchObject({ name: 'UnsupportedError', code: 'ERR_SANDBOX_UNSUPPORTED', typed: true });
    expect(refused.message).toMatch(/--experimental-vm-modules/);
    expect(auto).toBe('worker');
  });

  it('the CLI runs a module and reports failures with exit codes', () => {
    const ok = plainNode(['dist/cli/main.js', 'run', 'fixtures/basic/math.mjs', '--json']);
    expect(ok.status).toBe(0);
    const usage = plainNode(['dist/cli/main.js', 'frobnicate']);
    expect(usage.status).toBe(2);
    const failed = plainNode(['dist/cli/main.js', 'run', 'fixtures/basic/main.mjs']);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain('app:api');
    expect(failed.stderr).toContain('main.mjs:2:26');
    expect(execFileSync(process.execPath, ['--version'], { encoding: 'utf8' })).toMatch(/^v\d+/);
  });
});
