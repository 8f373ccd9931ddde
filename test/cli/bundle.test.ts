/**
 * The CLI's thread runs the build's bundle of the CLI (dist/cli/cli-bundle.cjs, with its V8 code
 * cache, started through dist/cli/boot.cjs) when it is fresh, else the unbundled dist/cli/in-thread.js.
 * Both must behave alike, and a missing or stale bundle or cache must only mean the slower path.
 * The built CLI in child processes, on a copy of dist per case: `npm run build` first.
 */
import { isAscii } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const dist = path.join(repo, 'dist');
const broken = path.join(repo, 'fixtures/config/broken');
const viteLike = path.join(repo, 'fixtures/config/vite-like/vite.config.mjs');
const hostErrors = path.join(repo, 'fixtures/cli/host-errors');
const scratch = mkdtempSync(path.join(tmpdir(), 'esm-sandbox-cli-bundle-'));
const bundled = existsSync(path.join(dist, 'cli/cli-bundle.cjs'));
const bin = 'dist/cli/bin.cjs';
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let copies = 0;
/** A copy of the package (dist, package.json, a link to node_modules) to break things in. */
function copyOfPackage(): string {
  const dir = path.join(scratch, String(copies++));
  // Timestamps kept: the boot file compares the bundle's with in-thread.js's.
  cpSync(dist, path.join(dir, 'dist'), { recursive: true, preserveTimestamps: true });
  cpSync(path.join(repo, 'package.json'), path.join(dir, 'package.json'));
  symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/** The package's bin, as npm links it (or `entry`, another way in). */
function cli(pkg: string, args: readonly string[], cwd = repo, entry = bin) {
  const result = spawnSync(process.execPath, [path.join(pkg, entry), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1' },
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Set a file's modification time `seconds` from in-thread.js's, the unbundled entry's. */
function age(pkg: string, file: string, seconds: number): void {
  const main = statSync(path.join(pkg, 'dist/cli/in-thread.js')).mtimeMs / 1000;
  utimesSync(path.join(pkg, file), main + seconds, main + seconds);
}

beforeAll(() => {
  if (!existsSync(path.join(dist, 'cli/main.js'))) throw new Error('dist/cli/main.js is missing: run `npm run build` before the CLI tests');
});

describe.skipIf(!bundled)('the bundled CLI', () => {
  it("is started by the package's bin, an executable CommonJS file, and by dist/cli/main.js", () => {
    const manifest = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(path.join(manifest.bin['esm-sandbox']!)).toBe(bin);
    accessSync(path.join(repo, bin), constants.X_OK);
    expect(readFileSync(path.join(repo, bin), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
    const args = ['config', viteLike, '--json', '--no-cache'];
    expect(cli(repo, args, repo, 'dist/cli/main.js')).toEqual(cli(repo, args));
    // main.js was the bin before: a link an earlier install made (npx keeps them in its cache) still runs the CLI.
    const link = path.join(scratch, 'esm-sandbox');
    symlinkSync(path.join(repo, 'dist/cli/main.js'), link);
    const viaLink = spawnSync(link, args, { cwd: repo, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1' } });
    expect({ status: viaLink.status, stdout: viaLink.stdout, stderr: viaLink.stderr }).toEqual(cli(repo, args));
  });

  // Commands with each exit code, and errors that name the user's file:line:col.
  const cases: [string, string[], string, number][] = [
    ['a config', ['config', viteLike, '--json', '--no-cache'], repo, 0],
    ['a syntax error', ['config', 'syntax.config.mjs', '--no-cache'], broken, 1],
    ['a throw in an imported module', ['config', 'throws.config.mjs', '--no-cache'], broken, 1],
    ['a missing file', ['config', 'nothing-here.config.mjs', '--no-cache'], broken, 1],
    ['a host module (--allow) that throws', ['run', 'main.mjs', '--allow', 'app:host=./host.mjs', '--no-cache'], hostErrors, 1],
    ['an expression', ['eval', '[1, 2].map((n) => n * 3)', '--json'], repo, 0],
    ['bad usage', ['config', '--timeout', 'soon', viteLike], repo, 2],
    ['an unknown command', ['build', viteLike], repo, 2],
  ];
  let unbundled: string;
  beforeAll(() => {
    unbundled = copyOfPackage();
    rmSync(path.join(unbundled, 'dist/cli/cli-bundle.cjs'));
  });

  it.each(cases)('prints and exits as the unbundled CLI: %s', (_name, args, cwd, status) => {
    const fromBundle = cli(repo, args, cwd);
    const fromModules = cli(unbundled, args, cwd);
    expect(fromBundle.status).toBe(status);
    expect(fromBundle).toEqual(fromModules);
  });

  it('errors name the file, line and column', () => {
    expect(cli(repo, ['config', 'syntax.config.mjs', '--no-cache'], broken).stderr).toContain('syntax.config.mjs:5:5');
    expect(cli(repo, ['config', 'throws.config.mjs', '--no-cache'], broken).stderr).toContain('throws-helper.mjs:3:11');
  });

  describe('falls back', () => {
    // A bundle that only throws: seen in the output when it is the one that runs.
    const poison = (pkg: string) =>
      writeFileSync(path.join(pkg, 'dist/cli/cli-bundle.cjs'), "throw new Error('the poisoned bundle ran');\n");
    const expectConfig = (result: ReturnType<typeof cli>) => {
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ mode: 'production', root: '/project' });
    };

    it('a fresh bundle is the one that runs (so the cases below prove a fallback)', () => {
      const pkg = copyOfPackage();
      poison(pkg);
      age(pkg, 'dist/cli/cli-bundle.cjs', 1);
      const result = cli(pkg, ['config', viteLike, '--json', '--no-cache']);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('the poisoned bundle ran');
    });

    it('to the unbundled CLI when the bundle is older than in-thread.js (tsc ran, the bundle step did not)', () => {
      const pkg = copyOfPackage();
      poison(pkg);
      age(pkg, 'dist/cli/cli-bundle.cjs', -10);
      expectConfig(cli(pkg, ['config', viteLike, '--json', '--no-cache']));
    });

    it('to the unbundled CLI when there is no bundle', () => {
      const pkg = copyOfPackage();
      rmSync(path.join(pkg, 'dist/cli/cli-bundle.cjs'));
      expectConfig(cli(pkg, ['config', viteLike, '--json', '--no-cache']));
    });

    it('to compiling the bundle from source when its code cache is missing, of another bundle, or corrupt', () => {
      const pkg = copyOfPackage();
      const cache = path.join(pkg, 'dist/cli/cli-bundle.cjs.cache');
      const stored = readFileSync(cache);
      rmSync(cache);
      expectConfig(cli(pkg, ['config', viteLike, '--json', '--no-cache']));
      // Another bundle's: the digest heading it does not match.
      writeFileSync(cache, Buffer.concat([Buffer.alloc(20, 7), stored.subarray(20)]));
      expectConfig(cli(pkg, ['config', viteLike, '--json', '--no-cache']));
      // This bundle's digest over bytes V8 rejects.
      writeFileSync(cache, Buffer.concat([stored.subarray(0, 20), Buffer.alloc(stored.length - 20, 1)]));
      expectConfig(cli(pkg, ['config', viteLike, '--json', '--no-cache']));
    });
  });
});

describe.skipIf(!bundled)("the bundles' third-party notices", () => {
  const manifestOf = (name: string) =>
    JSON.parse(readFileSync(path.join(repo, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
      dependencies?: Record<string, string>;
    };
  /** Every package the library depends on at run time, directly or through another: all of them are bundled. */
  function runtimePackages(): string[] {
    const found = new Set<string>();
    const visit = (names: string[]) => {
      for (const name of names) {
        if (found.has(name)) continue;
        found.add(name);
        visit(Object.keys(manifestOf(name).dependencies ?? {}));
      }
    };
    visit(
      Object.keys(
        (JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies,
      ),
    );
    return [...found].sort();
  }
  const licenseText = (name: string) => {
    const dir = path.join(repo, 'node_modules', name);
    const file = readdirSync(dir).find((entry) => /^licen[cs]e/i.test(entry));
    if (file === undefined) throw new Error(`${name} ships no license file`);
    return readFileSync(path.join(dir, file), 'utf8').trim();
  };

  it("name every package whose code is bundled, with its version and its license's text, in one file beside the bundles", () => {
    const notices = readFileSync(path.join(dist, 'THIRD-PARTY-NOTICES.txt'), 'utf8');
    const expected = [...runtimePackages(), 'rolldown'];
    // chokidar and what it needs: not only the direct dependencies.
    expect(expected).toEqual(expect.arrayContaining(['acorn', 'chokidar', 'readdirp', '@jridgewell/sourcemap-codec']));
    const named = [...notices.matchAll(/^(\S+) (\d\S*) \(/gm)].map((match) => match[1]);
    expect(named.sort()).toEqual(expected.sort());
    for (const name of expected) {
      expect(notices, name).toContain(`${name} ${manifestOf(name).version} (`);
      expect(notices, name).toContain(licenseText(name));
    }
    expect(notices).toMatch(/^chokidar .*\nIn: cli\/cli-bundle\.cjs\n/m);
  });

  it('are not in the bundles, which stay ASCII', () => {
    for (const bundle of ['cli/cli-bundle.cjs', 'worker/worker-bundle.cjs']) {
      const text = readFileSync(path.join(dist, bundle));
      expect(isAscii(text), bundle).toBe(true);
      expect(text.includes('Permission is hereby granted'), bundle).toBe(false);
    }
  });
});
