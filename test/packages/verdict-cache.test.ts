/**
 * Every input to a file's verdict keys the caches that remember it (the analysis and findings in
 * memory, analyze/analyze.ts; the packs on disk, load/disk-cache.ts): the same file content at the
 * same URL loaded again after what decides its verdict changed gets the new verdict, never the
 * remembered one. Inputs besides the content and the policy: the package's declared dependencies
 * and its name (no-disallowed-import), whether the file is sandbox code or a package's (the root),
 * and its format (the `type` of the nearest package.json, which may sit below the package's own).
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedAnalysis, clearAnalysisCache, contentHash } from '../../src/analyze/analyze.js';
import { canStripTypes } from '../../src/transform/typescript.js';
import { checkGraph } from '../../src/load/check-graph.js';
import { closeDiskCaches } from '../../src/load/disk-cache.js';
import { Packages } from '../../src/resolve/packages.js';
import { resolvePolicy } from '../../src/analyze/policy/engine.js';
import { createSandbox, PolicyError, type SandboxOptions } from '../../src/index.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'esm-sandbox-verdicts-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let projects = 0;

/**
 * A project whose package `pkg` imports `dep`; `dep` is installed. Each project has its own
 * paths, so nothing an earlier test cached applies.
 */
function project(pkgManifest: object): { root: string; pkg: string } {
  const root = path.join(scratch, `project-${++projects}`);
  const pkg = path.join(root, 'node_modules', 'pkg');
  const dep = path.join(root, 'node_modules', 'dep');
  mkdirSync(pkg, { recursive: true });
  mkdirSync(dep, { recursive: true });
  writeFileSync(path.join(dep, 'package.json'), JSON.stringify({ name: 'dep', exports: './index.mjs' }));
  writeFileSync(path.join(dep, 'index.mjs'), "export const from = 'dep';\n");
  writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'pkg', exports: './index.mjs', ...pkgManifest }));
  writeFileSync(path.join(pkg, 'index.mjs'), "export { from } from 'dep';\n");
  return { root, pkg };
}

/** What importing `specifier` gives: the `from` export, or the class name of the refusal. */
async function verdict(options: SandboxOptions, specifier = 'pkg'): Promise<string> {
  const sandbox = createSandbox(options);
  try {
    const ns = await sandbox.import(specifier);
    return String(ns.from ?? ns.v);
  } catch (error) {
    return (error as Error).constructor.name;
  } finally {
    await sandbox.dispose();
  }
}

/** A new process, as far as the caches go: memory empty, packs read from disk again. */
function forgetMemory(): void {
  closeDiskCaches();
  clearAnalysisCache();
}

describe.each([
  ['in memory', undefined],
  ['on disk', 'disk'],
] as const)('a verdict follows what decides it (%s)', (_name, disk) => {
  const cacheDir = disk === undefined ? undefined : path.join(scratch, `cache-${projects}-${Math.random().toString(36).slice(2)}`);
  const between = () => {
    if (disk !== undefined) forgetMemory();
  };

  it("a dependency added to the package's package.json: the import is allowed", async () => {
    const { root, pkg } = project({});
    expect(await verdict({ root, packages: ['pkg'], cacheDir })).toBe(PolicyError.name);
    writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'pkg', exports: './index.mjs', dependencies: { dep: '1' } }));
    between();
    expect(await verdict({ root, packages: ['pkg'], cacheDir })).toBe('dep');
  });

  it("a dependency removed from the package's package.json: the policy refuses the import", async () => {
    const { root, pkg } = project({ dependencies: { dep: '1' } });
    expect(await verdict({ root, packages: ['pkg'], cacheDir })).toBe('dep');
    writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'pkg', exports: './index.mjs' }));
    between();
    expect(await verdict({ root, packages: ['pkg'], cacheDir })).toBe(PolicyError.name);
  });

  it("the same file as sandbox code (root inside the package), then as the package's: its dependencies apply only to the second", async () => {
    const { root, pkg } = project({ dependencies: { dep: '1' } });
    // As sandbox code `dep` is not listed: refused by the policy.
    expect(await verdict({ root: pkg, packages: ['pkg'], cacheDir }, './index.mjs')).toBe(PolicyError.name);
    between();
    expect(await verdict({ root, packages: ['pkg'], cacheDir })).toBe('dep');
    between();
    expect(await verdict({ root: pkg, packages: ['pkg'], cacheDir }, './index.mjs')).toBe(PolicyError.name);
  });

  it('a .js file whose nearest package.json (below the package) changes its type is run as the new format', async () => {
    const { root, pkg } = project({ exports: './lib/index.js' });
    mkdirSync(path.join(pkg, 'lib'));
    // Valid as a script and as a module; it tells which one it ran as.
    writeFileSync(path.join(pkg, 'lib', 'index.js'), "var v = typeof exports === 'object' ? 'commonjs' : 'module';\nglobalThis.v = v;\n");
    writeFileSync(path.join(pkg, 'lib', 'package.json'), '{ "type": "module" }');
    const options: SandboxOptions = { root, packages: ['pkg'], cacheDir, policy: false };
    const probe = "import 'pkg';\nexport const v = globalThis.v;\n";
    const run = async () => {
      const sandbox = createSandbox(options);
      try {
        return (await sandbox.evaluate(probe)).v;
      } finally {
        await sandbox.dispose();
      }
    };
    expect(await run()).toBe('module');
    writeFileSync(path.join(pkg, 'lib', 'package.json'), '{ "type": "commonjs" }');
    between();
    expect(await run()).toBe('commonjs');
    writeFileSync(path.join(pkg, 'lib', 'package.json'), '{ "type": "module" }');
    between();
    expect(await run()).toBe('module');
  });
});

describe('esm-sandbox check follows the same inputs', () => {
  it("reports a dependency's import once its package stops declaring it", async () => {
    const { root, pkg } = project({ dependencies: { dep: '1' } });
    const policy = resolvePolicy({});
    // One allow-list for both checks, as one `esm-sandbox check --watch` process would have.
    const isAllowed = () => false;
    const packages = () => new Packages(root, { listed: new Set(['pkg']), conditions: ['import', 'default'] });
    const check = () => checkGraph('pkg', { resolver: { root, isAllowed, packages: packages() }, policy });
    expect(await check()).toEqual([]);
    writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'pkg', exports: './index.mjs' }));
    expect((await check()).map((d) => d.ruleId)).toContain('no-disallowed-import');
  });
});

describe('a TypeScript file is remembered under its text as read', () => {
  it.skipIf(!canStripTypes())('so a hit (in memory or on disk) strips no types', async () => {
    const root = path.join(scratch, `ts-${++projects}`);
    mkdirSync(root);
    const source = 'export const answer: number = 42;\n';
    writeFileSync(path.join(root, 'answer.ts'), source);
    const sandbox = createSandbox({ root });
    try {
      expect(await sandbox.import('./answer.ts')).toEqual({ answer: 42 });
    } finally {
      await sandbox.dispose();
    }
    const url = pathToFileURL(path.join(realpathSync(root), 'answer.ts')).href;
    expect(cachedAnalysis(contentHash(source), url, true)?.code).toBe('export const answer         = 42;\n');
  });
});
