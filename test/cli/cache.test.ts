/**
 * The CLI's disk cache: `--cache-dir`, `--no-cache`, and the default under the nearest package's
 * `node_modules/.cache/esm-sandbox`. The built CLI (dist/) in child processes: `npm run build` first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const viteLike = path.join(repo, 'fixtures/config/vite-like/vite.config.mjs');
const scratch = mkdtempSync(path.join(tmpdir(), 'esm-sandbox-cli-cache-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function config(args: readonly string[], cwd = repo) {
  const result = spawnSync(process.execPath, [path.join(repo, 'dist/cli/main.js'), 'config', viteLike, '--json', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1' },
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((name) => /^[0-9a-f]{64}$/.test(name)) : []);

describe('esm-sandbox config with a disk cache', () => {
  it('--cache-dir: the first run fills it, the next prints the same from it', () => {
    const dir = path.join(scratch, 'explicit');
    const cold = config(['--cache-dir', dir]);
    expect(cold.stderr).toBe('');
    expect(cold.status).toBe(0);
    const written = entries(dir);
    // One pack per directory of the config's modules.
    expect(written.length).toBeGreaterThanOrEqual(3);
    const warm = config(['--cache-dir', dir]);
    expect(warm.status).toBe(0);
    expect(warm.stdout).toBe(cold.stdout);
    expect(entries(dir)).toEqual(written);
  });

  it('defaults to node_modules/.cache/esm-sandbox of the nearest package; --no-cache writes nothing', () => {
    const project = path.join(scratch, 'project');
    const below = path.join(project, 'src', 'deeper');
    mkdirSync(below, { recursive: true });
    writeFileSync(path.join(project, 'package.json'), '{ "name": "project" }');
    const none = config(['--no-cache'], below);
    expect(none.status).toBe(0);
    expect(existsSync(path.join(project, 'node_modules'))).toBe(false);
    const byDefault = config([], below);
    expect(byDefault.status).toBe(0);
    expect(byDefault.stdout).toBe(none.stdout);
    expect(entries(path.join(project, 'node_modules', '.cache', 'esm-sandbox')).length).toBeGreaterThanOrEqual(3);
    expect(existsSync(path.join(below, 'node_modules'))).toBe(false);
  });

  it('--cache-dir with --no-cache is bad usage', () => {
    const result = config(['--no-cache', '--cache-dir', path.join(scratch, 'x')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--cache-dir and --no-cache exclude each other');
  });
});
