/**
 * Generated bad input, written at test time into a temp dir (never committed): a 10 MB module, a
 * 1,000-module graph, and deep import chains. Each loads, or is refused with a clear typed error;
 * none crashes or hangs the host, and the sandbox keeps working. Times are printed (loosely bounded:
 * this machine has 2 busy cores) for the report.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LinkError, LoadError, SandboxSyntaxError } from '../../src/index.js';
import type { Sandbox, SandboxOptions } from '../../src/index.js';
import { describeEach } from '../helpers/sandbox.js';

const MB = 1024 * 1024;
const TREE = 1_000;
const CHAIN = 2_000;
const DEEP = 5_000;
/** Far below "hung", far above what a loaded 2-core machine needs. */
const LOOSE_MS = 60_000;
const SLOW_TEST = 180_000;

let dir = '';
let exportCount = 0;

function write(file: string, text: string): void {
  writeFileSync(path.join(dir, file), text);
}

/** `name/m0.mjs` → `name/m1.mjs` → ... → `name/m<length-1>.mjs`; each exports the depth below it. */
function chain(name: string, length: number): void {
  mkdirSync(path.join(dir, name));
  for (let i = 0; i < length; i++) {
    write(
      `${name}/m${i}.mjs`,
      i === length - 1 ? 'export const n = 0;\n' : `import { n as below } from './m${i + 1}.mjs';\nexport const n = below + 1;\n`,
    );
  }
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'esm-sandbox-bad-'));
  // 10 MB of top-level declarations: the shape that made acorn's scope checks quadratic.
  const parts: string[] = [];
  let size = 0;
  while (size < 10 * MB) {
    const line = `export const v${exportCount++} = ${JSON.stringify('x'.repeat(80))};\n`;
    parts.push(line);
    size += line.length;
  }
  write('big-exports.mjs', `${parts.join('')}export default 'big';\n`);
  write('big-string.mjs', `export default ${JSON.stringify('s'.repeat(10 * MB))};\n`);
  write('small.mjs', 'export const small = true;\n');
  // A binary tree of 1,000 modules: module i imports 2i+1 and 2i+2; each exports its subtree's size.
  mkdirSync(path.join(dir, 'tree'));
  for (let i = 0; i < TREE; i++) {
    const kids = [2 * i + 1, 2 * i + 2].filter((k) => k < TREE);
    const imports = kids.map((k) => `import { count as c${k} } from './m${k}.mjs';\n`).join('');
    write(`tree/m${i}.mjs`, `${imports}export const count = 1${kids.map((k) => ` + c${k}`).join('')};\n`);
  }
  chain('chain', CHAIN);
  chain('deep', DEEP);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work;
  return { value, ms: Math.round(performance.now() - started) };
}

async function outcome(
  work: Promise<unknown>,
): Promise<{ ok: true; value: Record<string, unknown> } | { ok: false; error: Error & Record<string, unknown> }> {
  try {
    return { ok: true, value: (await work) as Record<string, unknown> };
  } catch (error) {
    return { ok: false, error: error as Error & Record<string, unknown> };
  }
}

async function stillWorks(sandbox: Sandbox): Promise<void> {
  expect(sandbox.disposed).toBe(false);
  expect((await sandbox.import('./small.mjs')).small).toBe(true);
}

describeEach('generated bad input', ({ isolation, make }) => {
  const sandbox = (extra: SandboxOptions = {}) => make({ root: dir, deadline: LOOSE_MS, ...extra });

  it(
    'a 10 MB module of 99,000+ declarations loads, in linear time',
    async () => {
      const box = sandbox();
      const { value: ns, ms } = await timed(box.import('./big-exports.mjs'));
      console.info(`[${isolation}] 10 MB module, ${exportCount} exports: ${ms} ms`);
      expect(Object.keys(ns)).toHaveLength(exportCount + 1);
      expect(ns.default).toBe('big');
      expect(ns[`v${exportCount - 1}`]).toBe('x'.repeat(80));
      // Before the scope fix acorn alone took ~80 s on this file.
      expect(ms).toBeLessThan(LOOSE_MS);
      await stillWorks(box);
    },
    SLOW_TEST,
  );

  it(
    'a 10 MB string module loads',
    async () => {
      const box = sandbox();
      const { value: ns, ms } = await timed(box.import('./big-string.mjs'));
      console.info(`[${isolation}] 10 MB string module: ${ms} ms`);
      expect(typeof ns.default).toBe('string');
      expect((ns.default as string).length).toBe(10 * MB);
      await stillWorks(box);
    },
    SLOW_TEST,
  );

  it(
    'a module over maxModuleBytes is refused cleanly, before it is parsed',
    async () => {
      const box = sandbox({ maxModuleBytes: MB });
      const { value: result, ms } = await timed(outcome(box.import('./big-exports.mjs')));
      console.info(`[${isolation}] 10 MB module refused by maxModuleBytes: ${ms} ms`);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error).toBeInstanceOf(LoadError);
      expect(result.error.code).toBe('ERR_SANDBOX_LOAD');
      expect(result.error.message).toMatch(/big-exports\.mjs is \d+ bytes, over the 1048576-byte module limit/);
      expect(ms).toBeLessThan(10_000);
      await stillWorks(box);
    },
    SLOW_TEST,
  );

  it(
    `a ${TREE}-module graph loads and evaluates (the subtree sizes add up)`,
    async () => {
      const box = sandbox();
      const { value: ns, ms } = await timed(box.import('./tree/m0.mjs'));
      console.info(`[${isolation}] ${TREE}-module tree: ${ms} ms`);
      expect(ns.count).toBe(TREE);
      expect(ms).toBeLessThan(LOOSE_MS);
      // Already loaded: a module deep in the tree comes from the same graph.
      expect((await box.import('./tree/m999.mjs')).count).toBe(1);
      await stillWorks(box);
    },
    SLOW_TEST,
  );

  it(
    `a ${CHAIN}-deep import chain loads`,
    async () => {
      const box = sandbox();
      const { value: ns, ms } = await timed(box.import('./chain/m0.mjs'));
      console.info(`[${isolation}] ${CHAIN}-deep chain: ${ms} ms`);
      expect(ns.n).toBe(CHAIN - 1);
      await stillWorks(box);
    },
    SLOW_TEST,
  );

  it(
    'source nested 100,000 deep fails as a SandboxSyntaxError, not a stack overflow of the host',
    async () => {
      const box = sandbox();
      const depth = 100_000;
      for (const source of [
        `export default ${'['.repeat(depth)}${']'.repeat(depth)};`,
        `export default ${'('.repeat(depth)}1${')'.repeat(depth)};`,
        `${'{'.repeat(depth)}${'}'.repeat(depth)}\nexport default 1;`,
      ]) {
        const result = await outcome(box.evaluate(source, { filename: 'nested.mjs' }));
        expect(result.ok).toBe(false);
        if (result.ok) continue;
        expect(result.error).toBeInstanceOf(SandboxSyntaxError);
        expect(result.error).toMatchObject({ code: 'ERR_SANDBOX_SYNTAX', line: 1 });
        expect(result.error.message).toContain('Not enough stack space to parse input');
      }
      await stillWorks(box);
    },
    SLOW_TEST,
  );

  it(
    `a ${DEEP}-deep import chain loads or fails with a clear LinkError, never a crash`,
    async () => {
      const box = sandbox();
      const { value: result, ms } = await timed(outcome(box.import('./deep/m0.mjs')));
      console.info(`[${isolation}] ${DEEP}-deep chain: ${result.ok ? 'loaded' : `refused (${result.error.name})`} in ${ms} ms`);
      if (result.ok) {
        expect(result.value.n).toBe(DEEP - 1);
      } else {
        expect(result.error).toBeInstanceOf(LinkError);
        expect(result.error.code).toBe('ERR_SANDBOX_LINK');
        expect(result.error.message).toContain('nested too deeply to link');
        expect(result.error.url).toMatch(/\/deep\/m0\.mjs$/);
      }
      await stillWorks(box);
      // A shallower entry into the same chain: the failed link left nothing half-linked behind.
      expect((await box.import(`./deep/m${DEEP - 10}.mjs`)).n).toBe(9);
    },
    SLOW_TEST,
  );
});
