/**
 * `esm-sandbox run` as users run it: the compiled CLI (dist/cli/main.js, so `npm run build`
 * first) in a plain `node` child process. The entry must be inside `--root` by the resolver's
 * own rule: only a `..` segment leaves the root, so a file named `..dots.mjs` is inside.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const root = fileURLToPath(new URL('../../fixtures/resolve/root/', import.meta.url));

function run(args: readonly string[], nodeFlags: readonly string[] = []) {
  const result = spawnSync(process.execPath, [...nodeFlags, cli, 'run', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1' },
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` before the CLI tests`);
});

describe('esm-sandbox run: the entry and --root', () => {
  it('runs a file whose name starts with two dots, as the resolver accepts it', () => {
    const result = run(['..dots.mjs', '--json']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toBe('dots');
  });

  it('runs under node flags a worker thread cannot take (--max-old-space-size, --stack-size)', () => {
    // The CLI's thread used to inherit them, and Node refused to start it (ERR_WORKER_INVALID_EXEC_ARGV).
    const result = run(['..dots.mjs', '--json'], ['--max-old-space-size=512', '--stack-size=2000']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toBe('dots');
  });

  it('refuses an entry outside --root as bad usage', () => {
    const result = run(['../basic-outside.mjs', '--root', root]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('is not inside --root');
  });
});

describe('esm-sandbox run: bad usage is only what the CLI itself refuses', () => {
  const hostErrors = fileURLToPath(new URL('../../fixtures/cli/host-errors/', import.meta.url));
  const runIn = (cwd: string, args: readonly string[]) => {
    const result = spawnSync(process.execPath, [cli, 'run', ...args], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1' },
      timeout: 30_000,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  it('a TypeError thrown by an allow-listed host function fails the run (exit 1), without the usage text', () => {
    const result = runIn(hostErrors, ['main.mjs', '--allow', 'app:host=./host.mjs']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('the host refuses port');
    expect(result.stderr).not.toContain('Usage:');
  });

  it.each([
    [['main.mjs', '--root', 'nowhere'], /--root nowhere: no such directory/],
    [['main.mjs', '--root', 'host.mjs'], /--root host\.mjs: not a directory/],
    [['main.mjs', '--allow', './host.mjs=./host.mjs'], /--allow \.\/host\.mjs=\.\/host\.mjs: "\.\/host\.mjs" looks like a path/],
  ])('exits 2 on bad usage: %j', (args, message) => {
    const result = runIn(hostErrors, args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('Usage:');
  });
});
