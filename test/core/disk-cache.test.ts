/**
 * The analysis cache on disk (SandboxOptions.cacheDir, src/load/disk-cache.ts): a cache written in
 * one process is used by another (no analysis there, same result and findings), and an entry that
 * does not verify (corrupt, truncated, for other content, of another build, planted, not ours) is
 * never used. Cross-process cases run the built package (dist/) in real child processes: `npm run
 * build` first.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createSandbox, PolicyError, type Sandbox, type SandboxOptions } from '../../src/index.js';
import { contentHash } from '../../src/analyze/analyze.js';
import type { parserLoaded } from '../../src/analyze/parse.js';
import {
  closeDiskCaches,
  DEFAULT_CACHE_MAX_BYTES,
  DiskCache,
  diskCacheStats,
  openDiskCache,
  type StoredAnalysis,
} from '../../src/load/disk-cache.js';
import { environmentKey } from '../../src/analyze/environment.js';
import { Packages } from '../../src/resolve/packages.js';
import { normalizeOptions } from '../../src/sandbox/options.js';
import { stripperIdentity } from '../../src/transform/typescript.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), 'esm-sandbox-disk-cache-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (name: string) => {
  const dir = path.join(scratch, `${name}-${++dirs}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

/** A small graph: a loop (metered), a catch (guarded), JSON, and a policy warning. */
function writeGraph(root: string): void {
  writeFileSync(path.join(root, 'data.json'), '{ "base": 40 }');
  writeFileSync(path.join(root, 'sum.mjs'), 'export function sum(xs) { let s = 0; for (const x of xs) s += x; return s; }\n');
  writeFileSync(
    path.join(root, 'safe.mjs'),
    'export function safe(f) {\n  try {\n    return f();\n  } catch (error) {\n    return error instanceof Error ? error.message : "odd";\n  }\n}\n',
  );
  writeFileSync(
    path.join(root, 'main.mjs'),
    [
      "import data from './data.json' with { type: 'json' };",
      "import { sum } from './sum.mjs';",
      "import { safe } from './safe.mjs';",
      'export const total = sum([data.base, 1, 1]);',
      "export const caught = safe(() => { throw new Error('boom'); });",
      'export const lookup = (o, k) => o[k];',
      '',
    ].join('\n'),
  );
}

const CHILD = `
import { createSandbox } from ${JSON.stringify(pathToFileURL(path.join(repo, 'dist/index.js')).href)};
import { diskCacheStats } from ${JSON.stringify(pathToFileURL(path.join(repo, 'dist/load/disk-cache.js')).href)};
import { parserLoaded } from ${JSON.stringify(pathToFileURL(path.join(repo, 'dist/analyze/parse.js')).href)};
const [root, cacheDir] = process.argv.slice(2);
const warnings = [];
const sandbox = createSandbox({ root, cacheDir, policy: { rules: { 'no-computed-member': 'warn' } }, onWarning: (d) => warnings.push(d) });
const ns = await sandbox.import('./main.mjs');
const { total, caught } = ns;
await sandbox.dispose();
process.stdout.write(JSON.stringify({ total, caught, warnings, stats: diskCacheStats(), parserLoaded: parserLoaded() }));
`;

/** One child process loading `root`'s graph with `cacheDir`: its result, warnings and disk cache counters. */
function childLoad(root: string, cacheDir: string) {
  const script = path.join(scratch, 'child.mjs');
  writeFileSync(script, CHILD);
  const out = execFileSync(process.execPath, ['--experimental-vm-modules', '--no-warnings', script, root, cacheDir], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return JSON.parse(out) as {
    total: number;
    caught: string;
    warnings: Array<{ ruleId: string; line: number; column: number }>;
    stats: ReturnType<typeof diskCacheStats>;
    parserLoaded: ReturnType<typeof parserLoaded>;
  };
}

/** What a child's load came to, without how (its counters, whether it parsed). */
const resultOf = ({ total, caught, warnings }: ReturnType<typeof childLoad>) => ({ total, caught, warnings });

/** A project importing the CommonJS fixture package cjs-basic, and a child process loading it with a cache. */
function commonjsProject() {
  const root = freshDir('commonjs');
  cpSync(path.join(repo, 'fixtures/packages/commonjs/node_modules'), path.join(root, 'node_modules'), { recursive: true });
  writeFileSync(
    path.join(root, 'main.mjs'),
    "import { greet, version, cycle } from 'cjs-basic';\nexport const total = [greet('you'), version, cycle];\nexport const caught = 'none';\n",
  );
  const cacheDir = freshDir('cache');
  const script = path.join(scratch, 'child-cjs.mjs');
  writeFileSync(script, CHILD.replace('createSandbox({ root, cacheDir,', "createSandbox({ root, cacheDir, packages: ['cjs-basic'],"));
  const run = () =>
    JSON.parse(
      execFileSync(process.execPath, ['--experimental-vm-modules', '--no-warnings', script, root, cacheDir], {
        encoding: 'utf8',
        env: { ...process.env, NODE_OPTIONS: '' },
      }),
    ) as ReturnType<typeof childLoad>;
  return { cacheDir, run };
}

const entriesOf = (dir: string) => readdirSync(dir).filter((name) => /^[0-9a-f]{64}$/.test(name));

describe('disk cache across processes', () => {
  it('a second process uses the entries the first wrote: no analysis, same result and findings', () => {
    const root = freshDir('graph');
    const cacheDir = path.join(freshDir('cache'), 'nested', 'esm-sandbox');
    writeGraph(root);
    const first = childLoad(root, cacheDir);
    // Written when the process exits (the stats were printed before).
    expect(first.stats).toMatchObject({ hits: 0, misses: 3, stored: 3, ignored: 0 });
    // One pack: the three modules share a directory.
    expect(entriesOf(cacheDir)).toHaveLength(1);
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    for (const name of entriesOf(cacheDir)) expect(statSync(path.join(cacheDir, name)).mode & 0o777).toBe(0o600);
    const second = childLoad(root, cacheDir);
    expect(second.stats).toMatchObject({ hits: 3, misses: 0, stored: 0, writes: 0, ignored: 0 });
    // Nothing to parse, so acorn was never loaded (analyze/parse.ts: its start costs a new thread ~3-5 ms).
    expect([first.parserLoaded, second.parserLoaded]).toEqual([true, false]);
    expect(resultOf(second)).toEqual(resultOf(first));
    expect(second.total).toBe(42);
    expect(second.caught).toBe('boom');
    expect(second.warnings.map((d) => `${d.ruleId}@${d.line}:${d.column}`)).toEqual(['no-computed-member@6:35']);
  });

  it('a pack that does not verify is ignored, its files analysed again and the pack rewritten', () => {
    const root = freshDir('graph');
    const cacheDir = freshDir('cache');
    writeGraph(root);
    const first = childLoad(root, cacheDir);
    const [pack] = entriesOf(cacheDir).map((name) => path.join(cacheDir, name));
    const tampering: Array<(bytes: Buffer) => Buffer> = [
      (bytes) => {
        bytes[bytes.length - 1]! ^= 0xff; // corrupt
        return bytes;
      },
      (bytes) => bytes.subarray(0, 100), // truncated
      () => Buffer.from('not a pack at all'),
    ];
    for (const tamper of tampering) {
      writeFileSync(pack!, tamper(readFileSync(pack!)));
      const again = childLoad(root, cacheDir);
      expect(again.stats).toMatchObject({ hits: 0, misses: 3, ignored: 1, stored: 3 });
      expect(resultOf(again)).toEqual(resultOf(first));
    }
    expect(childLoad(root, cacheDir).stats).toMatchObject({ hits: 3, ignored: 0, writes: 0 });
  });

  it('worker and process sandboxes use the cache too (their tenants get cacheDir)', async () => {
    for (const isolation of ['worker', 'process'] as const) {
      const root = freshDir('graph');
      const cacheDir = freshDir('cache');
      writeGraph(root);
      const sandbox = createSandbox({ root, cacheDir, isolation });
      try {
        await expect(sandbox.import('./main.mjs')).resolves.toMatchObject({ total: 42, caught: 'boom' });
      } finally {
        await sandbox.dispose();
      }
      // The thread lives on: its pack is written a moment after the last entry came.
      for (let waited = 0; entriesOf(cacheDir).length === 0 && waited < 5_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
      expect(entriesOf(cacheDir)).toHaveLength(1);
    }
  });

  it('CommonJS files are cached too: a second process analyses none of them, with the same results and findings', () => {
    const { cacheDir, run } = commonjsProject();
    const first = run();
    expect(first.stats.misses).toBeGreaterThanOrEqual(6);
    expect(first.stats).toMatchObject({ hits: 0, stored: first.stats.misses, ignored: 0 });
    const second = run();
    expect(second.stats).toMatchObject({ hits: first.stats.misses, misses: 0, stored: 0, writes: 0, ignored: 0 });
    expect([first.parserLoaded, second.parserLoaded]).toEqual([true, false]);
    expect(resultOf(second)).toEqual(resultOf(first));
    expect(second.total).toEqual(['HELLO YOU!', '1.2.3', ['a', 'b', ['a', false]]]);
    // Every pack carries V8 code caches: cjs-dep's and cjs-dual's hold CommonJS files only.
    const packs = entriesOf(cacheDir).map((name) => readFileSync(path.join(cacheDir, name)));
    expect(packs.filter((pack) => pack.includes('/node_modules/cjs-dep/')).length).toBe(1);
    for (const pack of packs) expect(pack.readUInt32LE(48)).toBeGreaterThan(0);
  });

  it("a CommonJS package's pack that does not verify is ignored: its files are analysed again, the results the same", () => {
    const { cacheDir, run } = commonjsProject();
    const first = run();
    const pack = entriesOf(cacheDir)
      .map((name) => path.join(cacheDir, name))
      .find((file) => readFileSync(file).includes('/node_modules/cjs-basic/index.js'))!;
    const tampering: Array<(bytes: Buffer) => Buffer> = [
      (bytes) => {
        // One byte of the stored code of a CommonJS file.
        const at = bytes.indexOf('shout');
        bytes[at] = 'S'.charCodeAt(0);
        return bytes;
      },
      (bytes) => {
        bytes[bytes.length - 1]! ^= 0xff; // a code cache byte
        return bytes;
      },
      (bytes) => bytes.subarray(0, bytes.length - 1), // truncated
    ];
    for (const tamper of tampering) {
      writeFileSync(pack, tamper(readFileSync(pack)));
      const again = run();
      expect(again.stats.ignored).toBe(1);
      expect(again.stats.misses).toBeGreaterThanOrEqual(4);
      expect(again.stats.stored).toBe(again.stats.misses);
      expect(resultOf(again)).toEqual(resultOf(first));
    }
    expect(run().stats).toMatchObject({ misses: 0, ignored: 0, writes: 0 });
  });

  it('a changed file misses, and only it is analysed again', () => {
    const root = freshDir('graph');
    const cacheDir = freshDir('cache');
    writeGraph(root);
    childLoad(root, cacheDir);
    writeFileSync(path.join(root, 'sum.mjs'), 'export function sum(xs) { let s = 1; for (const x of xs) s += x; return s; }\n');
    const after = childLoad(root, cacheDir);
    expect(after.stats).toMatchObject({ hits: 2, misses: 1, stored: 1 });
    expect(after.total).toBe(43);
  });
});

/** A stored analysis for `source` at `url`, as the load step would make it (here: made up). */
const storedFor = (source: string, findings: StoredAnalysis['findings'] = []): StoredAnalysis => ({
  code: source,
  edits: '',
  imports: [],
  topLevelAwait: false,
  straightLine: true,
  findings,
  codeCache: undefined,
});

/**
 * Plant `stored` as the entry of `target.url` with a code cache V8 rejects, then load with a new
 * sandbox: the entry is used (one hit) and rewritten (one entry stored). What the load gave.
 */
async function loadOverRejectedCache(
  cacheDir: string,
  target: { url: string; hash: string; fingerprint: string },
  stored: StoredAnalysis,
  options: SandboxOptions,
  load: (sandbox: Sandbox) => Promise<unknown>,
): Promise<unknown> {
  const writer = DiskCache.open(cacheDir, DEFAULT_CACHE_MAX_BYTES)!;
  const pack = writer.packOf(target.url, true, target.fingerprint);
  writer.store(pack, target.url, target.hash, { ...stored, codeCache: Buffer.alloc(64, 7) });
  writer.flush();
  const before = diskCacheStats();
  const sandbox = createSandbox({ ...options, cacheDir });
  try {
    return await load(sandbox);
  } finally {
    await sandbox.dispose();
    expect(diskCacheStats().hits - before.hits).toBe(1);
    expect(diskCacheStats().stored - before.stored).toBe(1);
  }
}

describe('disk cache packs (in this process)', () => {
  const source = 'export default 1;\n';
  const url = 'file:///virtual/a.mjs';
  const hash = contentHash(source);

  /** A pack holding `url`'s entry, written to `dir`; its file. */
  function written(dir: string, fingerprint = 'fp'): string {
    const cache = DiskCache.open(dir, DEFAULT_CACHE_MAX_BYTES)!;
    const pack = cache.packOf(url, true, fingerprint);
    cache.store(pack, url, hash, storedFor(source));
    cache.flush();
    return pack.file;
  }
  /** What a new process finds for `url` with this content. */
  const lookUp = (dir: string, content = hash, fingerprint = 'fp') => {
    const cache = DiskCache.open(dir, DEFAULT_CACHE_MAX_BYTES)!;
    return cache.lookup(cache.packOf(url, true, fingerprint), url, content);
  };

  it('reads back what it wrote, and refuses it for other content, another build, another format or a tampered byte', () => {
    const dir = freshDir('cache');
    const file = written(dir);
    expect(lookUp(dir)?.code).toBe(source);
    // Other content at the same URL: a miss.
    expect(lookUp(dir, contentHash('export default 2;\n'))).toBeUndefined();
    const before = diskCacheStats().ignored;
    // Another build or Node (standing in: another fingerprint) has another pack; moved into place it fails the key echo.
    copyFileSync(written(dir, 'another build'), file);
    expect(lookUp(dir)).toBeUndefined();
    // Another format version.
    written(dir);
    const bytes = readFileSync(file);
    bytes.writeUInt32LE(99, 8);
    writeFileSync(file, bytes);
    expect(lookUp(dir)).toBeUndefined();
    // One byte of the code changed.
    written(dir);
    const code = readFileSync(file);
    const at = code.indexOf('export default 1');
    code[at + 15] = '2'.charCodeAt(0);
    writeFileSync(file, code);
    expect(lookUp(dir)).toBeUndefined();
    // Three lookups, and the two rewrites in between each read the bad pack first.
    expect(diskCacheStats().ignored - before).toBe(5);
  });

  it('ignores packs writable by others or owned by someone else', () => {
    const dir = freshDir('cache');
    const file = written(dir);
    chmodSync(file, 0o666);
    expect(lookUp(dir)).toBeUndefined();
    chmodSync(file, 0o600);
    expect(lookUp(dir)).toBeDefined();
    if (process.getuid?.() === 0) {
      chownSync(file, 4242, 4242);
      expect(lookUp(dir)).toBeUndefined();
    }
  });

  it('evicts the least recently used packs past its bound', async () => {
    const dir = freshDir('cache');
    const cache = DiskCache.open(dir, 20_000)!;
    const files = Array.from({ length: 10 }, (_, i) => {
      const pack = cache.packOf(url, false, `fp${i}`);
      cache.store(pack, url, hash, storedFor(`${source}/*${'x'.repeat(3000)}*/`));
      cache.flush();
      const when = Date.now() / 1000 - 1000 + i;
      utimesSync(pack.file, when, when);
      return path.basename(pack.file);
    });
    writeFileSync(path.join(dir, 'unrelated.txt'), 'kept');
    await cache.sweep();
    const left = new Set(entriesOf(dir));
    expect(left.size).toBeGreaterThan(0);
    expect(left.size).toBeLessThan(10);
    // The newest stay, the oldest went.
    expect(left.has(files[9]!)).toBe(true);
    expect(left.has(files[0]!)).toBe(false);
    expect(readdirSync(dir)).toContain('unrelated.txt');
    expect(readdirSync(dir)).toContain('key');
  });

  it('a code cache V8 rejects is dropped: the module compiles from source and its entry is rewritten', async () => {
    const root = freshDir('rejected');
    const answer = 'export default 41 + 1;\n';
    writeFileSync(path.join(root, 'answer.mjs'), answer);
    const cacheDir = freshDir('cache');
    const answerUrl = pathToFileURL(path.join(root, 'answer.mjs')).href;
    const planted = { url: answerUrl, hash: contentHash(answer), fingerprint: normalizeOptions({ root }).policyFingerprint };
    const loaded = await loadOverRejectedCache(cacheDir, planted, storedFor(answer), { root }, (sandbox) => sandbox.import('./answer.mjs'));
    expect(loaded).toEqual({ default: 42 });
  });

  it('cacheDir takes a path, a file: URL or false, and refuses anything else by name', () => {
    const dir = freshDir('option');
    expect(normalizeOptions({ cacheDir: dir }).cacheDir).toBe(dir);
    expect(normalizeOptions({ cacheDir: pathToFileURL(dir) }).cacheDir).toBe(dir);
    expect(normalizeOptions({ cacheDir: false }).cacheDir).toBeUndefined();
    expect(normalizeOptions({}).cacheDir).toBeUndefined();
    expect(() => normalizeOptions({ cacheDir: 42 as unknown as string })).toThrow(/cacheDir/);
    expect(() => normalizeOptions({ cacheDir: '' })).toThrow(/cacheDir/);
  });

  it("a package's pack is keyed by its package.json too (its declared dependencies change its findings)", () => {
    const project = freshDir('project');
    const pkg = path.join(project, 'node_modules', 'pkg');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(path.join(pkg, 'package.json'), '{ "name": "pkg" }');
    const dir = freshDir('cache');
    const inPackage = pathToFileURL(path.join(pkg, 'index.mjs')).href;
    const own = pathToFileURL(path.join(project, 'main.mjs')).href;
    const packsOf = () => {
      const cache = DiskCache.open(dir, DEFAULT_CACHE_MAX_BYTES)!;
      return [cache.packOf(inPackage, true, 'fp').file, cache.packOf(own, true, 'fp').file];
    };
    const before = packsOf();
    writeFileSync(path.join(pkg, 'package.json'), '{ "name": "pkg", "dependencies": { "other": "1" } }');
    const after = packsOf();
    expect(after[0]).not.toBe(before[0]);
    expect(after[1]).toBe(before[1]);
    expect(packsOf()).toEqual(after);
  });

  it('is no cache (never an error) where the directory cannot be used', async () => {
    const file = path.join(freshDir('blocked'), 'file');
    writeFileSync(file, '');
    expect(openDiskCache(path.join(file, 'cache'))).toBeUndefined();
    const open = freshDir('world-writable');
    chmodSync(open, 0o777);
    expect(openDiskCache(open)).toBeUndefined();
    const root = freshDir('graph');
    writeGraph(root);
    for (const cacheDir of [path.join(file, 'cache'), open]) {
      const sandbox = createSandbox({ root, cacheDir });
      await expect(sandbox.import('./main.mjs')).resolves.toMatchObject({ total: 42 });
      await sandbox.dispose();
    }
    expect(readdirSync(open)).toEqual([]);
  });
});

describe('disk cache: planted entries', () => {
  const attack = 'export default Function.prototype.constructor("return process")();\n';

  /** The key the sandbox will look its entry up under (what an attacker can compute). */
  function target(root: string) {
    const url = pathToFileURL(path.join(root, 'evil.mjs')).href;
    const { policyFingerprint } = normalizeOptions({ root });
    return { url, hash: contentHash(attack), fingerprint: policyFingerprint };
  }

  async function refusedWith(root: string, cacheDir: string): Promise<unknown> {
    const sandbox = createSandbox({ root, cacheDir });
    try {
      return await sandbox.import('./evil.mjs').then(
        () => 'loaded',
        (error: unknown) => error,
      );
    } finally {
      await sandbox.dispose();
    }
  }

  it('a pack made without the directory secret (a checksum is not enough) is ignored: the policy still refuses', async () => {
    const root = freshDir('planted');
    writeFileSync(path.join(root, 'evil.mjs'), attack);
    const cacheDir = freshDir('cache');
    const { url, hash, fingerprint } = target(root);
    const pack = DiskCache.open(cacheDir, DEFAULT_CACHE_MAX_BYTES)!.packOf(url, true, fingerprint);
    // A well-formed pack whose MAC field holds a plain SHA-256 of the rest: "clean" findings.
    const json = Buffer.from(JSON.stringify([[url, { hash, ...storedFor(attack), codeCache: undefined }]]));
    const header = Buffer.alloc(84);
    header.write('ESMSBXC\n', 0, 'latin1');
    header.writeUInt32LE(3, 8);
    pack.key.copy(header, 12);
    header.writeUInt32LE(json.length, 44);
    header.writeUInt32LE(0, 48);
    createHash('sha256').update(header.subarray(0, 52)).update(json).digest().copy(header, 52);
    writeFileSync(pack.file, Buffer.concat([header, json]), { mode: 0o600 });
    const before = diskCacheStats();
    expect(await refusedWith(root, cacheDir)).toBeInstanceOf(PolicyError);
    expect(diskCacheStats().ignored - before.ignored).toBe(1);
    expect(diskCacheStats().hits - before.hits).toBe(0);
    expect(typeof process.exit).toBe('function');
  });

  it('a pack with clean findings from another cache directory (its own secret) is ignored', async () => {
    const root = freshDir('planted');
    writeFileSync(path.join(root, 'evil.mjs'), attack);
    const { url, hash, fingerprint } = target(root);
    const elsewhere = DiskCache.open(freshDir('attacker-cache'), DEFAULT_CACHE_MAX_BYTES)!;
    const pack = elsewhere.packOf(url, true, fingerprint);
    elsewhere.store(pack, url, hash, storedFor(attack));
    elsewhere.flush();
    const cacheDir = freshDir('cache');
    const planted = path.join(cacheDir, path.basename(pack.file));
    DiskCache.open(cacheDir, DEFAULT_CACHE_MAX_BYTES);
    copyFileSync(pack.file, planted);
    chmodSync(planted, 0o600);
    const before = diskCacheStats();
    expect(await refusedWith(root, cacheDir)).toBeInstanceOf(PolicyError);
    expect(diskCacheStats().ignored - before.ignored).toBe(1);
    expect(diskCacheStats().hits - before.hits).toBe(0);
  });
});

describe('disk cache: CommonJS entries', () => {
  /** A project whose CommonJS package `pkg` is `source`; where its entry is looked up (what an attacker can compute). */
  function commonjsTarget(source: string) {
    const root = freshDir('cjs-planted');
    const dir = path.join(root, 'node_modules', 'pkg');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), '{ "name": "pkg", "main": "index.js" }');
    writeFileSync(path.join(dir, 'index.js'), source);
    const options = normalizeOptions({ root, packages: ['pkg'] });
    const url = pathToFileURL(path.join(options.root, 'node_modules', 'pkg', 'index.js')).href;
    const resolver = { root: options.root, isAllowed: () => false, packages: new Packages(options.root, options.packages!) };
    const fingerprint = options.policyFingerprint + environmentKey(resolver, url);
    return { root, url, hash: contentHash(source), fingerprint };
  }
  const storedCommonJS = (source: string): StoredAnalysis => ({
    ...storedFor(source),
    straightLine: false,
    format: 'commonjs',
    requires: [],
    lexed: { exports: ['answer'], reexports: [] },
  });

  it('a code cache V8 rejects is dropped: the wrapper compiles from source and its entry is rewritten', async () => {
    const source = 'exports.answer = 41 + 1;\n';
    const { root, url, hash, fingerprint } = commonjsTarget(source);
    const cacheDir = freshDir('cache');
    const loaded = await loadOverRejectedCache(
      cacheDir,
      { url, hash, fingerprint },
      storedCommonJS(source),
      { root, packages: ['pkg'] },
      (sandbox) => sandbox.evaluate("export { answer } from 'pkg';"),
    );
    expect(loaded).toEqual({ answer: 42 });
    closeDiskCaches();
    const rewritten = DiskCache.open(cacheDir, DEFAULT_CACHE_MAX_BYTES)!;
    const entry = rewritten.lookup(rewritten.packOf(url, true, fingerprint), url, hash, 'commonjs');
    expect(entry?.codeCache?.equals(Buffer.alloc(64, 7))).toBe(false);
    // Looked up as another format (its package.json's `type` changed), the entry is a miss.
    expect(rewritten.lookup(rewritten.packOf(url, true, fingerprint), url, hash, 'module')).toBeUndefined();
  });

  it('a CommonJS entry with clean findings from another cache directory (its own secret) is ignored: the policy still refuses', async () => {
    const attack = 'module.exports = Function.prototype.constructor("return process")();\n';
    const { root, url, hash, fingerprint } = commonjsTarget(attack);
    const elsewhere = DiskCache.open(freshDir('attacker-cache'), DEFAULT_CACHE_MAX_BYTES)!;
    const pack = elsewhere.packOf(url, true, fingerprint);
    elsewhere.store(pack, url, hash, storedCommonJS(attack));
    elsewhere.flush();
    const cacheDir = freshDir('cache');
    DiskCache.open(cacheDir, DEFAULT_CACHE_MAX_BYTES);
    const planted = path.join(cacheDir, path.basename(pack.file));
    copyFileSync(pack.file, planted);
    chmodSync(planted, 0o600);
    closeDiskCaches();
    const before = diskCacheStats();
    const sandbox = createSandbox({ root, cacheDir, packages: ['pkg'] });
    try {
      const outcome = await sandbox.evaluate("import p from 'pkg'; export const type = typeof p;").then(
        () => 'loaded',
        (error: unknown) => error,
      );
      expect(outcome).toBeInstanceOf(PolicyError);
    } finally {
      await sandbox.dispose();
    }
    expect(diskCacheStats().ignored - before.ignored).toBe(1);
    expect(diskCacheStats().hits - before.hits).toBe(0);
    expect(typeof process.exit).toBe('function');
  });
});

describe('disk cache: TypeScript entries', () => {
  /**
   * An install of the built package beside an `amaro` of its own, at `version`: the real one,
   * whose output is marked with `tag` (as long as the placeholder, so no position moves), so that
   * what a module runs tells which stripper made it.
   */
  function install(version: string, tag: string): string {
    const at = freshDir(`install-${version}`);
    const modules = path.join(at, 'node_modules');
    const own = path.join(modules, 'esm-sandbox');
    // Timestamps kept: the build's identity (load/cache-identity.ts) is the same in every install.
    cpSync(path.join(repo, 'dist'), path.join(own, 'dist'), {
      recursive: true,
      preserveTimestamps: true,
      filter: (from) => !from.endsWith('.map') && !from.endsWith('.d.ts'),
    });
    copyFileSync(path.join(repo, 'package.json'), path.join(own, 'package.json'));
    const manifest = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const name of Object.keys(manifest.dependencies))
      symlinkSync(path.join(repo, 'node_modules', name), path.join(modules, name), 'dir');
    const amaro = path.join(modules, 'amaro');
    mkdirSync(amaro);
    writeFileSync(path.join(amaro, 'package.json'), JSON.stringify({ name: 'amaro', version, main: 'index.js' }));
    writeFileSync(
      path.join(amaro, 'index.js'),
      `const real = require(${JSON.stringify(path.join(repo, 'node_modules/amaro'))});
exports.transformSync = (source, options) => {
  const out = real.transformSync(source, options);
  return { ...out, code: out.code.replace('__STRIPPER__', ${JSON.stringify(tag)}) };
};
`,
    );
    const script = path.join(at, 'child.mjs');
    writeFileSync(
      script,
      `import { createSandbox } from ${JSON.stringify(pathToFileURL(path.join(own, 'dist/index.js')).href)};
import { diskCacheStats } from ${JSON.stringify(pathToFileURL(path.join(own, 'dist/load/disk-cache.js')).href)};
const [root, cacheDir] = process.argv.slice(2);
const sandbox = createSandbox({ root, cacheDir });
const { made } = await sandbox.import('./main.ts');
await sandbox.dispose();
process.stdout.write(JSON.stringify({ made, stats: diskCacheStats() }));
`,
    );
    return script;
  }

  const run = (script: string, root: string, cacheDir: string) =>
    JSON.parse(
      execFileSync(process.execPath, ['--experimental-vm-modules', '--no-warnings', script, root, cacheDir], {
        encoding: 'utf8',
        env: { ...process.env, NODE_OPTIONS: '' },
      }),
    ) as { made: string[]; stats: ReturnType<typeof diskCacheStats> };

  it('is keyed by the stripper: an install with another amaro version misses the TypeScript entry, and runs what its own stripper made', () => {
    const root = freshDir('typescript');
    writeFileSync(path.join(root, 'plain.mjs'), "export const plain = 'plain';\n");
    writeFileSync(
      path.join(root, 'main.ts'),
      "import { plain } from './plain.mjs';\nconst tag: string = '__STRIPPER__';\nexport const made = [tag, plain];\n",
    );
    const cacheDir = freshDir('cache');
    const one = install('1.0.0', 'stripper-one');
    const two = install('2.0.0', 'stripper-two');

    expect(run(one, root, cacheDir)).toMatchObject({ made: ['stripper-one', 'plain'], stats: { hits: 0, misses: 2, stored: 2 } });
    // Its own entry again: both hit.
    expect(run(one, root, cacheDir)).toMatchObject({ made: ['stripper-one', 'plain'], stats: { hits: 2, misses: 0, stored: 0 } });
    // The same build (the JavaScript module hits: the installs share packs) under another amaro:
    // the TypeScript module is stripped again, by this install's amaro, and its entry replaced.
    expect(run(two, root, cacheDir)).toMatchObject({ made: ['stripper-two', 'plain'], stats: { hits: 1, misses: 1, stored: 1 } });
    expect(run(one, root, cacheDir)).toMatchObject({ made: ['stripper-one', 'plain'], stats: { hits: 1, misses: 1, stored: 1 } });
  });

  it("names the stripper in use by package and version, read from amaro's own manifest", () => {
    const { version } = JSON.parse(readFileSync(path.join(repo, 'node_modules/amaro/package.json'), 'utf8')) as { version: string };
    expect(stripperIdentity()).toBe(`amaro@${version}`);
  });
});
