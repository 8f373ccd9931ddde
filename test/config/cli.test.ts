/**
 * `esm-sandbox config` as users run it: the compiled CLI in a plain `node` child process (no
 * --experimental-vm-modules), so `npm run build` first (npm test does). And the `.ts` path on a
 * Node.js that cannot strip types: the built package in a copy without `amaro`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, cpSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const config = (folder: string) => path.join(repo, 'fixtures/config', folder);

function cli(args: readonly string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [path.join(repo, 'dist/cli/main.js'), 'config', ...args], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1', ...env },
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('esm-sandbox config', () => {
  it('prints the resolved config as JSON, with mode and allow-listed env', () => {
    const result = cli([path.join(config('vite-like'), 'vite.config.mjs'), '--json', '--mode', 'development', '--env', 'PORT'], {
      PORT: '3000',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const printed = JSON.parse(result.stdout) as { mode: string; server: { port: number }; plugins: Array<Record<string, unknown>> };
    expect(printed.mode).toBe('development');
    expect(printed.server.port).toBe(3000);
    expect(printed.plugins[2]).toEqual({ name: 'replace-defines', transform: '[Function: transform]' });
  });

  it('reads no environment variable it was not given', () => {
    const result = cli([path.join(config('vite-like'), 'vite.config.mjs'), '--json'], {
      PORT: '3000',
      ESM_SANDBOX_CANARY: 'canary-secret-123',
    });
    expect(result.status).toBe(0);
    expect((JSON.parse(result.stdout) as { server: { port: number } }).server.port).toBe(4173);
    expect(result.stdout + result.stderr).not.toContain('canary-secret-123');
  });

  it('prints a config for people, monorepo root included', () => {
    const result = cli([path.join(config('monorepo'), 'packages/web/app.config.mjs'), '--root', config('monorepo')]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("environment: 'jsdom'");
  });

  it('exits 1 with a code frame when the config is broken, and 2 on bad usage', () => {
    const refused = cli([path.join(config('broken'), 'reads-file.config.mjs')]);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('reads-file.config.mjs:1:');
    expect(refused.stderr).toContain("> 1 | import { readFileSync } from 'node:fs';");

    const thrown = cli([path.join(config('broken'), 'throws.config.mjs')]);
    expect(thrown.status).toBe(1);
    expect(thrown.stderr).toContain('TypeError: port must be a number, got string');
    expect(thrown.stderr).toContain('throws-helper.mjs:3:');

    const loops = cli([path.join(config('broken'), 'loops.config.mjs'), '--timeout', '100']);
    expect(loops.status).toBe(1);
    expect(loops.stderr).toContain('ERR_SANDBOX_TIMEOUT');

    expect(cli([]).status).toBe(2);
    expect(cli([path.join(config('vite-like'), 'vite.config.mjs'), '--isolation', 'sideways']).status).toBe(2);
    const missingRoot = cli([path.join(config('vite-like'), 'vite.config.mjs'), '--root', path.join(repo, 'no-such-folder')]);
    expect(missingRoot.status).toBe(2);
    expect(missingRoot.stderr).toMatch(/--root .*no-such-folder: no such directory/);
  });
});

describe('TypeScript configs without a type stripper', () => {
  it('fail with how to enable them on Node.js < 22.13, and load with node:module on later lines', () => {
    // The built package and its dependencies, less amaro.
    const copy = mkdtempSync(path.join(tmpdir(), 'esm-sandbox-no-amaro-'));
    try {
      cpSync(path.join(repo, 'dist'), path.join(copy, 'dist'), { recursive: true });
      cpSync(path.join(repo, 'package.json'), path.join(copy, 'package.json'));
      mkdirSync(path.join(copy, 'node_modules'));
      for (const name of readdirSync(path.join(repo, 'node_modules'))) {
        if (name !== 'amaro' && !name.startsWith('.'))
          symlinkSync(path.join(repo, 'node_modules', name), path.join(copy, 'node_modules', name));
      }
      const result = spawnSync(
        process.execPath,
        ['--no-warnings', path.join(copy, 'dist/cli/main.js'), 'config', path.join(config('typescript'), 'app.config.ts'), '--json'],
        {
          cwd: copy,
          encoding: 'utf8',
          env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1' },
          timeout: 30_000,
        },
      );
      const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
      if (major > 22 || (major === 22 && minor >= 13)) {
        expect(result.status).toBe(0);
        expect(JSON.parse(result.stdout)).toMatchObject({ name: 'inventory', port: 8080 });
      } else {
        expect(result.status).toBe(1);
        expect(result.stderr).toContain('ERR_SANDBOX_LOAD');
        expect(result.stderr).toContain('npm install amaro');
        expect(result.stderr).toContain('app.config.ts');
      }
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
