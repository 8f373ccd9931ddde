import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  DeadlineError,
  LinkError,
  MembraneError,
  PolicyError,
  ResolveError,
  SandboxError,
  SandboxSyntaxError,
  TimeoutError,
  DisposedError,
  loadConfig,
} from '../../src/index.js';
import { parseCount } from '../../src/analyze/parse.js';
import { ISOLATIONS, rejection } from '../helpers/sandbox.js';

const dir = (folder: string) => fileURLToPath(new URL(`../../fixtures/config/${folder}/`, import.meta.url));
const viteLike = `${dir('vite-like')}vite.config.mjs`;
const broken = (name: string) => `${dir('broken')}${name}`;

/** Reads the thrown error, so each test can assert on its class and fields. */
interface Plugin {
  name: string;
  [hook: string]: unknown;
}
interface ViteLike {
  mode: string;
  base: string;
  server: { port: number; strictPort: boolean };
  build: { outDir: string; sourcemap: boolean };
  define: Record<string, string>;
  plugins: Plugin[];
}

for (const isolation of ISOLATIONS) {
  describe(`loadConfig [${isolation}]`, () => {
    it('loads a Vite-like function config with plugins, shared fragments and a JSON module', async () => {
      await using loaded = await loadConfig<ViteLike>(viteLike, {
        isolation,
        mode: 'development',
        command: 'serve',
        env: { PORT: '3000' },
      });
      const { config } = loaded;
      expect(config.mode).toBe('development');
      expect(config.server).toEqual({
        port: 3000,
        strictPort: false,
        proxy: { '/api': { target: 'http://localhost:8080', changeOrigin: true } },
      });
      expect(config.build.outDir).toBe('dist/development');
      expect(config.define).toEqual({ __APP_VERSION__: '"2.4.1"', __DEV__: 'true' });
      expect(config.plugins.map((p) => p.name)).toEqual(['banner', 'virtual-modules', 'replace-defines']);
      expect(loaded.functions).toEqual(['plugins[0].renderChunk', 'plugins[1].resolveId', 'plugins[1].load', 'plugins[2].transform']);
      expect(loaded.diagnostics).toEqual([]);
      // Every file of the graph, the JSON module included, for a watcher.
      expect(loaded.dependencies).toHaveLength(12);
      expect(loaded.dependencies).toContain(viteLike);
      expect(loaded.dependencies).toContain(`${dir('vite-like')}package.json`);
    });

    it('returns deeply frozen host data', async () => {
      await using loaded = await loadConfig<ViteLike>(viteLike, { isolation });
      const { config } = loaded;
      expect(Object.isFrozen(config)).toBe(true);
      expect(Object.isFrozen(config.server)).toBe(true);
      expect(Object.isFrozen(config.plugins[0])).toBe(true);
      expect(Object.getPrototypeOf(config.server)).toBe(Object.prototype);
      expect(Array.isArray(config.plugins)).toBe(true);
      expect(() => {
        (config as { mode: string }).mode = 'x';
      }).toThrow(TypeError);
      expect(config.mode).toBe('production');
    });

    it('keeps plugin hooks callable in the sandbox until dispose()', async () => {
      const loaded = await loadConfig<ViteLike>(viteLike, { isolation, mode: 'development' });
      const replace = loaded.config.plugins[2]!;
      const transform = replace.transform as (code: string, id: string) => Promise<unknown>;
      expect(await transform('if (process.env.NODE_ENV !== "x") run()', 'src/main.ts')).toEqual({
        code: 'if ("development" !== "x") run()',
        map: null,
      });
      expect(await transform('body', 'styles.css')).toBeNull();
      const resolveId = loaded.config.plugins[1]!.resolveId as (id: string) => Promise<unknown>;
      expect(await resolveId('virtual:build-info')).toBe('\0virtual:virtual:build-info');
      await loaded.dispose();
      await expect(transform('x', 'a.js')).rejects.toBeInstanceOf(DisposedError);
    });

    it('passes only the allow-listed environment: names taken from process.env', async () => {
      process.env.ESM_SANDBOX_TEST_PORT = '4321';
      process.env.ESM_SANDBOX_CANARY = 'canary-secret-123';
      try {
        await using loaded = await loadConfig<ViteLike & { base: string }>(viteLike, { isolation, env: ['ESM_SANDBOX_TEST_PORT'] });
        // PORT is not allow-listed: the config falls back to its default.
        expect(loaded.config.server.port).toBe(4173);
        expect(JSON.stringify(loaded.config)).not.toContain('canary-secret-123');
      } finally {
        delete process.env.ESM_SANDBOX_TEST_PORT;
        delete process.env.ESM_SANDBOX_CANARY;
      }
    });

    it('loads monorepo configs that import shared fragments above their folder', async () => {
      const root = dir('monorepo');
      await using web = await loadConfig(`${root}packages/web/app.config.mjs`, { isolation, root });
      expect(web.config).toEqual({
        target: 'es2022',
        sourcemap: true,
        name: 'web',
        lint: { rules: { 'no-unused-vars': 'error', 'prefer-const': 'warn', eqeqeq: ['error', 'smart'] }, maxWarnings: 0 },
        test: { environment: 'jsdom', coverage: { thresholds: { lines: 80 } } },
        dev: { port: 3000, open: false },
      });
      expect(web.functions).toEqual([]);
      // A promise of a config works too.
      await using api = await loadConfig<{ name: string; sourcemap: boolean; test: unknown }>(`${root}packages/api/app.config.mjs`, {
        isolation,
        root,
      });
      expect(api.config).toMatchObject({
        name: 'api',
        sourcemap: false,
        test: { environment: 'node', coverage: { thresholds: { lines: 90 } } },
      });
      expect(api.dependencies).toHaveLength(3);
    });

    it('without a wider root, a fragment above the config folder is refused', async () => {
      const error = await rejection(loadConfig(`${dir('monorepo')}packages/web/app.config.mjs`, { isolation }));
      expect(error).toBeInstanceOf(ResolveError);
      expect(error.message).toContain('../../common/base.config.mjs');
      expect(error.message).toContain('app.config.mjs:1:');
    });

    it('loads a TypeScript config (types stripped, positions kept)', async () => {
      await using loaded = await loadConfig(`${dir('typescript')}app.config.ts`, { isolation, env: { LOG_LEVEL: 'debug' } });
      expect(loaded.config).toEqual({
        name: 'inventory',
        port: 8080,
        logLevel: 'debug',
        routes: [
          { path: '/items', methods: ['GET', 'POST'] },
          { path: '/items/:id', methods: ['GET', 'DELETE'] },
        ],
      });
      const error = await rejection(loadConfig(`${dir('typescript')}throws.config.ts`, { isolation }));
      expect(error).toBeInstanceOf(SandboxError);
      expect(error.message).toContain('refusing to build at level high');
      expect(error.line).toBe(6);
      expect(error.column).toBe(9);
    });

    it('reports TypeScript that needs more than type stripping at its line', async () => {
      const error = await rejection(loadConfig(`${dir('typescript')}enum.config.ts`, { isolation }));
      expect(error).toBeInstanceOf(SandboxSyntaxError);
      expect(error.message).toMatch(/enum/i);
    });

    it('refuses a config that reads a file, naming the line, before anything runs', async () => {
      const error = await rejection(loadConfig(broken('reads-file.config.mjs'), { isolation }));
      expect(error).toBeInstanceOf(PolicyError);
      expect(error.code).toBe('ERR_SANDBOX_POLICY');
      expect(error.line).toBe(1);
      expect(error.message).toContain('node:fs');
      expect(error.stack).toContain('reads-file.config.mjs:1:');
    });

    it('refuses a config that reads the environment through process, and no secret shows anywhere', async () => {
      process.env.ESM_SANDBOX_CANARY = 'canary-secret-123';
      try {
        const error = await rejection(loadConfig(broken('reads-env.config.mjs'), { isolation }));
        expect(error).toBeInstanceOf(PolicyError);
        expect(error.line).toBe(2);
        expect(JSON.stringify({ ...error, stack: error.stack })).not.toContain('canary-secret-123');
        // With the policy off, the realm holds: there is no process to read.
        await using loaded = await loadConfig(broken('reads-env-sneaky.config.mjs'), { isolation, policy: false });
        expect(loaded.config).toEqual({ token: 'no process here' });
      } finally {
        delete process.env.ESM_SANDBOX_CANARY;
      }
    });

    it('gives clear errors for each way a config can be broken', async () => {
      const syntax = await rejection(loadConfig(broken('syntax.config.mjs'), { isolation }));
      expect(syntax).toBeInstanceOf(SandboxSyntaxError);
      expect([syntax.line, syntax.column]).toEqual([5, 5]);
      expect(syntax.frame).toContain("{ name: 'b' }");

      const noDefault = await rejection(loadConfig(broken('no-default.config.mjs'), { isolation }));
      expect(noDefault).toBeInstanceOf(ConfigError);
      expect(noDefault.message).toContain('has no default export');

      const notObject = await rejection(loadConfig(broken('not-object.config.mjs'), { isolation }));
      expect(notObject).toBeInstanceOf(ConfigError);
      expect(notObject.message).toContain('got number');

      const thrown = await rejection(loadConfig(broken('throws.config.mjs'), { isolation }));
      expect(thrown).toBeInstanceOf(SandboxError);
      expect(thrown.sandboxName).toBe('TypeError');
      expect(thrown.url).toMatch(/throws-helper\.mjs$/);
      expect(thrown.line).toBe(3);
      expect(thrown.stack).toContain('throws.config.mjs:3:');

      const missing = await rejection(loadConfig(broken('missing-import.config.mjs'), { isolation }));
      expect(missing).toBeInstanceOf(ResolveError);
      expect(missing.message).toContain('./does-not-exist.mjs');

      const missingExport = await rejection(loadConfig(broken('missing-export.config.mjs'), { isolation }));
      expect(missingExport).toBeInstanceOf(LinkError);
      expect(missingExport.message).toContain('nope');

      const getter = await rejection(loadConfig(broken('getter.config.mjs'), { isolation }));
      expect(getter).toBeInstanceOf(MembraneError);
      expect(getter.message).toContain('port');
    });

    it('stops a config that loops, and one that never resolves, within its limits', async () => {
      let start = performance.now();
      const loops = await rejection(loadConfig(broken('loops.config.mjs'), { isolation, timeout: 100 }));
      expect(loops).toBeInstanceOf(TimeoutError);
      expect(performance.now() - start).toBeLessThan(3_000);

      start = performance.now();
      const never = await rejection(loadConfig(broken('never-resolves.config.mjs'), { isolation, deadline: 300 }));
      expect(never).toBeInstanceOf(DeadlineError);
      expect(performance.now() - start).toBeLessThan(3_000);

      start = performance.now();
      const pending = await rejection(loadConfig(broken('promise-never.config.mjs'), { isolation, deadline: 300 }));
      expect(pending).toBeInstanceOf(DeadlineError);
      expect(performance.now() - start).toBeLessThan(3_000);

      start = performance.now();
      const asyncLoop = await rejection(loadConfig(broken('function-loops.config.mjs'), { isolation, deadline: 300 }));
      expect(asyncLoop).toBeInstanceOf(DeadlineError);
      expect(performance.now() - start).toBeLessThan(3_000);
    });
  });
}

describe('loadConfig [worker] memory', () => {
  it('stops a config that allocates without bound, and the host lives on', async () => {
    const error = await rejection(
      loadConfig(broken('allocates.config.mjs'), { isolation: 'worker', memoryLimitMb: 64, timeout: 20_000, deadline: 30_000 }),
    );
    expect(error.code).toBe('ERR_SANDBOX_MEMORY');
    await using again = await loadConfig(`${dir('monorepo')}packages/api/app.config.mjs`, { isolation: 'worker', root: dir('monorepo') });
    expect(again.config).toMatchObject({ name: 'api' });
  });
});

describe('loadConfig caches', () => {
  it('loads an unchanged config again without parsing any of its files, and a changed one parses only that file', async () => {
    // A private copy, so no other test's loads count.
    const copy = mkdtempSync(`${tmpdir()}/esm-sandbox-config-cache-`);
    try {
      cpSync(dir('vite-like'), copy, { recursive: true });
      const file = `${copy}/vite.config.mjs`;
      let start = parseCount();
      await (await loadConfig(file, { isolation: 'context' })).dispose();
      expect(parseCount() - start).toBe(11);
      start = parseCount();
      await (await loadConfig(file, { isolation: 'context' })).dispose();
      expect(parseCount() - start).toBe(0);
      writeFileSync(`${copy}/shared/ports.mjs`, readFileSync(`${copy}/shared/ports.mjs`, 'utf8').replace('4173', '4174'));
      start = parseCount();
      await using changed = await loadConfig<{ server: { port: number } }>(file, { isolation: 'context' });
      expect(parseCount() - start).toBe(1);
      expect(changed.config.server.port).toBe(4174);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
