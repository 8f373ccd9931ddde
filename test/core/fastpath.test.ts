/**
 * The evaluation fast paths (performance work of issue 2) must not open a hole in the turn bounds:
 * - straight-line modules (analyze/bounded.ts) are evaluated without a watchdog, so the analysis
 *   must refuse everything that could run long: loops, calls, coercions of objects (an array
 *   joined with 2^40 paths has neither), reads of globals (another module may have made one a
 *   looping getter), BigInt arithmetic;
 * - modules without top-level await skip the post-evaluation drain, so a microtask loop that
 *   the evaluation turn cut off must still end in a TimeoutError, and microtasks that finish must
 *   have run before the import resolves; modules that do await (or import one that does) wait.
 * - an `import()` continuation waits on the context's own microtask queue, outside any turn, until
 *   a drain: a straight-line evaluation in that window must still be bounded (it was not, at
 *   first: the host hung).
 * Attacks run with `policy: false`: the static policy is a first line, the turn bound is what holds.
 */
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { isStraightLine } from '../../src/analyze/bounded.js';
import { loadParser, parseModule } from '../../src/analyze/parse.js';
import { TimeoutError } from '../../src/index.js';
import { describeEach, fixtures } from '../helpers/sandbox.js';

// The load step loads acorn at its first miss; these tests parse directly.
await loadParser();

const root = fixtures('fastpath');
const TIMEOUT = 100;
/** Far below "hung" (the 30 s test timeout), above `TIMEOUT` plus a worker's start on a busy machine. */
const BOUND = { context: 1_500, worker: 5_000, process: 5_000 } as const;

const straight = (source: string) => isStraightLine(parseModule(source));

it('accepts data-only modules', () => {
  for (const source of [
    'export default 1 + 1',
    "export default { a: 1, 'b-c': [true, null, -2, 'x' + 'y', `t`], d: { e: 2 ** 8 } }",
    'const port = 1; export const copy = [port, { port }]; export default { port }',
    "'use strict'; export let x; export { x as y };",
    'export default 1 < 2 ? "yes" : "no" ?? 3',
  ])
    expect(straight(source), source).toBe(true);
});

it('refuses anything that could run long or run user code', () => {
  for (const source of [
    'export default f()',
    'export default new Map()',
    'export default tag`x`',
    'export default [...[1]]',
    'const a = [1]; export default a + ""',
    'export default `${1}`',
    'export default globalThis',
    'export default { trap }',
    'export default { get x() { return 1 } }',
    'export default { m() {} }',
    'export default { ["k"]: 1 }',
    'export default { ...{} }',
    'export default 10n ** 10000000n',
    'export default /(a+)+$/',
    'export default () => 1',
    'export default class {}',
    'for (;;) {}',
    'while (true) {}',
    'export default import.meta',
    "import x from './x.mjs'; export default 1",
    "export * from './x.mjs'",
    'export default await 1',
    'let a = 1; a = 2; export default a',
    'export default "a" in {}',
    'export default 1 instanceof Object',
    'export default ({}).x',
    'export default void f()',
    'export function f() {}',
    'label: { }',
    'if (true) {}',
  ])
    expect(straight(source), source).toBe(false);
});

describeEach('evaluation fast paths', ({ isolation, make }) => {
  const options = { root, timeout: TIMEOUT, policy: false } as const;

  it('evaluates a straight-line config module to the right values', async () => {
    const sandbox = make(options);
    const ns = await sandbox.import('./config.mjs');
    expect(ns.name).toBe('demo');
    expect(ns.default).toEqual({
      port: 8080,
      hosts: ['a.example', 'b.example'],
      retries: 7,
      ratio: -0.5,
      debug: true,
      nested: { level: 8, label: 'plain' },
    });
  });

  it('stops an exponential array join (no loop, no call) with a TimeoutError', async () => {
    const sandbox = make(options);
    const started = performance.now();
    await expect(sandbox.import('./exponential-join.mjs')).rejects.toBeInstanceOf(TimeoutError);
    expect(performance.now() - started).toBeLessThan(BOUND[isolation]);
    expect(sandbox.disposed).toBe(true);
  });

  it('stops a looping valueOf reached through + with a TimeoutError', async () => {
    const sandbox = make(options);
    await expect(sandbox.import('./valueof-coercion.mjs')).rejects.toBeInstanceOf(TimeoutError);
  });

  it('stops a looping global getter read by a data-looking module', async () => {
    const sandbox = make(options);
    expect((await sandbox.import('./define-getter.mjs')).default).toBe('defined');
    const started = performance.now();
    await expect(sandbox.import('./read-global.mjs')).rejects.toBeInstanceOf(TimeoutError);
    expect(performance.now() - started).toBeLessThan(BOUND[isolation]);
  });

  it('stops a microtask loop started by a module without await', async () => {
    const sandbox = make(options);
    await expect(sandbox.import('./microtask-loop.mjs')).rejects.toBeInstanceOf(TimeoutError);
    // The host keeps serving: a new sandbox loads normally.
    expect((await make(options).import('./config.mjs')).name).toBe('demo');
  });

  it('runs the microtasks a module queued before its import resolves', async () => {
    const sandbox = make(options);
    const ns = await sandbox.import('./microtask-effect.mjs');
    expect(ns.seen).toBe('after');
    expect(await (ns.read as () => Promise<string>)()).toBe('after');
  });

  it('waits for top-level await, also through a module that imports one', async () => {
    expect((await make(options).import('./tla-timer.mjs')).default).toBe('waited');
    expect((await make(options).import('./tla-dependent.mjs')).default).toBe('dependent waited');
  });

  it('treats await inside a function as no top-level await', async () => {
    const ns = await make(options).import('./async-function.mjs');
    expect(ns.default).toBe(5);
    expect(await (ns.later as (x: number) => Promise<number>)(4)).toBe(8);
  });

  it('bounds a straight-line evaluation that runs a pending import() continuation', () => {
    // A child process, because the failure is a host that never returns. The 20 microtask hops
    // let the import() settle (its continuation, a loop, is then queued in the context) before
    // the straight-line module is evaluated; it runs the compiled package.
    const script = `
      import { createSandbox } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)};
      const sandbox = createSandbox({ root: ${JSON.stringify(root.href)}, isolation: ${JSON.stringify(isolation)}, timeout: ${TIMEOUT}, policy: false });
      const ns = await sandbox.import('./import-then-loop.mjs');
      console.log(await ns.start());
      for (let i = 0; i < 20; i++) await Promise.resolve();
      try { await sandbox.evaluate('export default 1'); } catch (error) { console.log(error.name); }
      for (let i = 0; i < 100 && !sandbox.disposed; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      console.log(sandbox.disposed ? 'disposed' : 'alive');
      const next = createSandbox({ root: ${JSON.stringify(root.href)}, isolation: ${JSON.stringify(isolation)} });
      console.log((await next.import('./config.mjs')).name);
      await next.dispose();`;
    const result = spawnSync(
      process.execPath,
      ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning', '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    expect(result.error).toBeUndefined(); // not killed by the 20 s timeout: the host never hung
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    // The loop ended in a TimeoutError (in that evaluation, or in the drain right after it).
    expect(result.stdout.trim().split('\n')).toEqual(expect.arrayContaining(['started', 'disposed', 'demo']));
  });

  it('serves the same files from the code cache in later sandboxes', async () => {
    for (let i = 0; i < 3; i++) {
      const ns = await make(options).import('./tla-dependent.mjs');
      expect(ns.default).toBe('dependent waited');
    }
  });
});
