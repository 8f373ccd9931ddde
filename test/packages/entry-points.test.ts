/**
 * `packages` reaches every way of making a sandbox: createSandboxPool, loadConfig, and the CLI's
 * `run` and `check` (`--package`, `--condition`, `--node-env`), the CLI as users run it
 * (dist/cli/main.js in a plain node child, so `npm run build` first). The app in
 * fixtures/packages/app/ imports `yaml`, a devDependency found in the repository's node_modules
 * above it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPluginHost, createSandboxPool, loadConfig, PolicyError } from '../../src/index.js';

const app = new URL('../../fixtures/packages/app/', import.meta.url);
const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const main = fileURLToPath(new URL('main.mjs', app));
const expected = { parsed: { name: 'app', items: [1, 2] }, mode: 'production' };

function esmSandbox(args: readonly string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
    timeout: 20_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` before the CLI tests`);
});

describe('packages through the entry points', () => {
  it('createSandboxPool passes packages and nodeEnv to its worker sandboxes', async () => {
    const pool = createSandboxPool({ size: 1, root: app, packages: ['yaml'] });
    try {
      expect((await pool.run((sandbox) => sandbox.import('./main.mjs'))).default).toEqual(expected);
      const dev = await pool.run((sandbox) => sandbox.import('./main.mjs'), { root: app, packages: ['yaml'], nodeEnv: 'test' });
      expect(dev.default).toEqual({ ...expected, mode: 'test' });
    } finally {
      await pool.close();
    }
  });

  it('createPluginHost passes packages, conditions and nodeEnv to every plugin sandbox', async () => {
    const host = await createPluginHost({
      root: app,
      plugins: { main: './main.mjs' },
      watch: false,
      isolation: 'context',
      packages: ['yaml'],
      nodeEnv: 'development',
    });
    try {
      expect(host.status('main').state).toBe('active');
      expect(host.plugin('main').exports.default).toEqual({ ...expected, mode: 'development' });
    } finally {
      await host.close();
    }
  });

  it('loadConfig imports listed packages, and refuses them unlisted', async () => {
    const file = new URL('app.config.mjs', app);
    const loaded = await loadConfig(file, { packages: ['yaml'] });
    expect(loaded.config).toEqual({ server: { port: 8080, host: 'localhost' } });
    expect(loaded.dependencies.some((d) => d.includes('/node_modules/yaml/'))).toBe(true);
    await expect(loadConfig(file)).rejects.toBeInstanceOf(PolicyError);
  });

  it('run --package: the package is importable; without it the import is refused', () => {
    const ok = esmSandbox(['run', main, '--package', 'yaml', '--json']);
    expect(ok.stderr).toBe('');
    expect(JSON.parse(ok.stdout)).toEqual(expected);
    expect(JSON.parse(esmSandbox(['run', main, '--package', 'yaml', '--node-env', 'development', '--json']).stdout).mode).toBe(
      'development',
    );
    const refused = esmSandbox(['run', main, '--json']);
    expect(refused.status).toBe(1);
    expect(refused.stdout + refused.stderr).toContain('no-disallowed-import');
    const bad = esmSandbox(['run', main, '--package', '../yaml']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--package ../yaml: not a package name');
  });

  it('check --package resolves and analyses the package as a load would', () => {
    const clean = esmSandbox(['check', main, '--package', 'yaml']);
    expect(clean).toMatchObject({ status: 0, stdout: '' });
    const unlisted = esmSandbox(['check', main, '--json']);
    expect(unlisted.status).toBe(1);
    const rules = (JSON.parse(unlisted.stdout) as Array<{ ruleId: string }>).map((d) => d.ruleId);
    expect(rules).toEqual(['no-disallowed-import', 'no-host-globals']);
  });
});
