/**
 * createPluginHost without a watcher: transactions, rollback with located errors, stable handles,
 * events, hot data, bounded retirement. Real files, real sandboxes (worker isolation, the default).
 */
import { describe, expect, it } from 'vitest';
import { PluginError, PolicyError, SandboxError, SandboxSyntaxError, type RolledBackEvent, type ReloadedEvent } from '../../src/index.js';
import { hotRuntimeCalls } from '../../src/plugins/generation.js';
import { workerRequests } from '../../src/worker/worker-sandbox.js';
import { hostFor, pluginDir, sleep, write } from './support.js';

const version = (v: number) => `export const version = ${v};\nexport const get = () => version;\n`;

describe('plugin host: transactions', () => {
  it('loads each plugin, hands out a stable handle, and commits a reload as one new generation', async () => {
    const root = pluginDir({ 'a.mjs': version(1) });
    const host = await hostFor({ root, plugins: { a: './a.mjs' }, watch: false });
    const handle = host.plugin('a');
    expect(handle.exports.version).toBe(1);
    expect(await (handle.exports.get as () => Promise<number>)()).toBe(1);
    expect(handle.generation).toBe(1);
    const reloaded: ReloadedEvent[] = [];
    host.on('reloaded', (event) => reloaded.push(event));
    write(root, 'a.mjs', version(2));
    const result = await host.reload();
    expect(result).toMatchObject({ committed: true, generation: 2, plugins: ['a'] });
    expect(host.plugin('a')).toBe(handle);
    expect(handle.exports.version).toBe(2);
    expect(handle.generation).toBe(2);
    expect(reloaded).toEqual([expect.objectContaining({ generation: 2, plugins: ['a'] })]);
    expect(host.status('a')).toMatchObject({ state: 'active', generation: 2, files: [`${root}/a.mjs`] });
  });

  it('rolls back a syntax error, a forbidden import, a throw and a failing activate, naming the phase and the place', async () => {
    const root = pluginDir({ 'a.mjs': version(1) });
    const host = await hostFor({ root, plugins: { a: './a.mjs' }, watch: false });
    const rolled: RolledBackEvent[] = [];
    host.on('rolled-back', (event) => rolled.push(event));
    const broken: Array<[string, string, new (...args: never[]) => Error, number]> = [
      ['syntax', 'export const version = 2;\nexport const = ;\n', SandboxSyntaxError, 2],
      ['policy', "import fs from 'node:fs';\nexport const version = 2;\n", Error, 1],
      ['evaluate', "export const version = 2;\nthrow new Error('boom');\n", SandboxError, 2],
      ['activate', "export const version = 2;\nexport function activate() {\n  throw new Error('no');\n}\n", SandboxError, 3],
    ];
    for (const [phase, source, kind, line] of broken) {
      write(root, 'a.mjs', source);
      const result = await host.reload();
      expect(result.committed, phase).toBe(false);
      expect(result.phase).toBe(phase);
      expect(result.generation).toBe(1);
      expect(result.error).toBeInstanceOf(kind);
      expect(result.error?.url, phase).toBe(`file://${root}/a.mjs`);
      expect(result.error?.line, phase).toBe(line);
      expect(result.error?.column, phase).toBeGreaterThan(0);
      expect(result.error?.frame, phase).toContain('|');
      expect(host.plugin('a').exports.version, phase).toBe(1);
      expect(await (host.plugin('a').exports.get as () => Promise<number>)()).toBe(1);
      expect(host.status('a').lastError?.phase).toBe(phase);
    }
    expect(rolled.map((event) => event.phase)).toEqual(['syntax', 'policy', 'evaluate', 'activate']);
    expect(rolled.every((event) => event.generation === 1 && event.plugin === 'a')).toBe(true);
    write(root, 'a.mjs', version(3));
    expect(await host.reload()).toMatchObject({ committed: true, generation: 2 });
    expect(host.status('a').lastError).toBeUndefined();
  });

  it('a file shared by two plugins commits for both or for neither', async () => {
    const root = pluginDir({
      'shared.mjs': 'export const v = 1;\nexport const ok = true;\n',
      'a.mjs': "export { v } from './shared.mjs';\n",
      'b.mjs': "import { v, ok } from './shared.mjs';\nif (!ok) throw new Error('b cannot use this');\nexport { v };\n",
    });
    const host = await hostFor({ root, plugins: { a: './a.mjs', b: './b.mjs' }, watch: false });
    write(root, 'shared.mjs', 'export const v = 2;\nexport const ok = false;\n');
    const failed = await host.reload();
    expect(failed).toMatchObject({ committed: false, phase: 'evaluate' });
    expect([host.plugin('a').exports.v, host.plugin('b').exports.v]).toEqual([1, 1]);
    write(root, 'shared.mjs', 'export const v = 3;\nexport const ok = true;\n');
    expect(await host.reload()).toMatchObject({ committed: true, generation: 2, plugins: ['a', 'b'] });
    expect([host.plugin('a').exports.v, host.plugin('b').exports.v]).toEqual([3, 3]);
  });

  it('a plugin that fails at start has no live generation until a reload succeeds', async () => {
    const root = pluginDir({ 'a.mjs': 'export const = 1;' });
    const host = await hostFor({ root, plugins: { a: './a.mjs' }, watch: false });
    expect(host.status('a')).toMatchObject({ state: 'failed', generation: 0, lastError: { phase: 'syntax' } });
    expect(() => host.plugin('a').exports).toThrow(PluginError);
    write(root, 'a.mjs', version(1));
    expect(await host.reload(['a'])).toMatchObject({ committed: true, generation: 1 });
    expect(host.plugin('a').exports.version).toBe(1);
    expect(() => host.plugin('nope')).toThrow(PluginError);
  });

  it('reloads asked for during a build are merged into exactly one follow-up build', async () => {
    const root = pluginDir({ 'a.mjs': version(1), 'b.mjs': version(1) });
    const host = await hostFor({ root, plugins: { a: './a.mjs', b: './b.mjs' }, watch: false });
    let builds = 0;
    host.on('reloaded', () => builds++);
    const first = host.reload(['a']);
    const merged = [host.reload(['a']), host.reload(['b']), host.reload(['a'])];
    const results = await Promise.all([first, ...merged]);
    expect(builds).toBe(2);
    expect(results[0]).toMatchObject({ generation: 2, plugins: ['a'] });
    for (const result of results.slice(1)) expect(result).toMatchObject({ generation: 3, plugins: ['a', 'b'] });
  });
});

describe('plugin host: calls across a swap', () => {
  it('a call already running finishes on the old generation', async () => {
    const root = pluginDir({ 'a.mjs': "export const slow = () => new Promise((resolve) => setTimeout(() => resolve('v1'), 300));\n" });
    const host = await hostFor({ root, plugins: { a: './a.mjs' }, watch: false });
    const running = (host.plugin('a').exports.slow as () => Promise<string>)();
    write(root, 'a.mjs', "export const slow = async () => 'v2';\n");
    expect(await host.reload()).toMatchObject({ committed: true });
    expect(await (host.plugin('a').exports.slow as () => Promise<string>)()).toBe('v2');
    expect(await running).toBe('v1');
  });

  it('500 concurrent calls during a swap all succeed, each answered by one whole generation', async () => {
    // Every call waits at a gate the test opens only after the commit: 250 calls are running on
    // generation 1 when it is swapped out, 250 more start on generation 2, all at once.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const answer = (v: number) =>
      `import { part } from './part.mjs';\nimport { wait } from 'test:gate';\nexport const answer = async (n) => { await wait(); return { n, own: ${v}, part }; };\n`;
    const root = pluginDir({ 'a.mjs': answer(1), 'part.mjs': 'export const part = 1;\n' });
    const host = await hostFor({ root, plugins: { a: './a.mjs' }, watch: false, modules: { 'test:gate': { wait: () => gate } } });
    type Answer = { n: number; own: number; part: number };
    const call = (n: number) => (host.plugin('a').exports.answer as (n: number) => Promise<Answer>)(n);
    const calls: Array<Promise<Answer>> = [];
    for (let n = 0; n < 250; n++) calls.push(call(n));
    write(root, 'a.mjs', answer(2));
    write(root, 'part.mjs', 'export const part = 2;\n');
    expect(await host.reload()).toMatchObject({ committed: true });
    for (let n = 250; n < 500; n++) calls.push(call(n));
    open();
    const answers = await Promise.all(calls);
    expect(answers.map((a) => a.n)).toEqual([...Array(500).keys()]);
    expect(answers.every((a) => a.own === a.part)).toBe(true);
    expect(answers.map((a) => a.own)).toEqual([...Array(250).fill(1), ...Array(250).fill(2)]);
  });
});

describe('plugin host: import.meta.hot', () => {
  const counter = 'const data = import.meta.hot.data;\ndata.count = (data.count ?? 0) + 1;\nexport const count = data.count;\n';

  it('a counter in hot.data survives a commit and is unchanged by a rollback', async () => {
    const root = pluginDir({ 'a.mjs': counter });
    const host = await hostFor({ root, plugins: { a: './a.mjs' }, watch: false });
    expect(host.plugin('a').exports.count).toBe(1);
    await host.reload();
    expect(host.plugin('a').exports.count).toBe(2);
    write(root, 'a.mjs', `${counter}export function activate() { throw new Error('no'); }\n`);
    expect(await host.reload()).toMatchObject({ committed: false, phase: 'activate' });
    expect(host.plugin('a').exports.count).toBe(2);
    write(root, 'a.mjs', counter);
    await host.reload();
    expect(host.plugin('a').exports.count).toBe(3);
  });

  it('dispose callbacks and deactivate run after the swap; a hanging one is cut off at its limit', async () => {
    const root = pluginDir({ 'a.mjs': 'import.meta.hot.dispose(() => new Promise(() => {}));\nexport const v = 1;\n' });
    const host = await hostFor({ root, plugins: { a: './a.mjs' }, watch: false, disposeTimeout: 200 });
    const errors: Error[] = [];
    host.on('error', (error) => errors.push(error));
    write(root, 'a.mjs', 'export const v = 2;\n');
    const started = Date.now();
    expect(await host.reload()).toMatchObject({ committed: true });
    while (errors.length === 0 && Date.now() - started < 3_000) await sleep(10);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(errors[0]).toBeInstanceOf(PluginError);
    expect(errors[0]!.message).toMatch(/did not finish within 200 ms/);
    expect(host.plugin('a').exports.v).toBe(2);
  });

  it('invalidate() asks for a reload of its plugin; host.send reaches hot.on listeners', async () => {
    const root = pluginDir({
      'a.mjs':
        "let seen = [];\nimport.meta.hot.on('ping', (p) => { seen.push(p); if (p === 'reload') import.meta.hot.invalidate(); });\nexport const seenNow = () => seen;\n",
    });
    const host = await hostFor({ root, plugins: { a: './a.mjs' }, watch: false });
    await host.send('ping', 'one');
    expect(await (host.plugin('a').exports.seenNow as () => Promise<string[]>)()).toEqual(['one']);
    const reloaded = new Promise((resolve) => host.once('reloaded', resolve));
    await host.send('ping', 'reload');
    await reloaded;
    expect(host.generation).toBe(2);
    expect(await (host.plugin('a').exports.seenNow as () => Promise<string[]>)()).toEqual([]);
  });

  it('invalidate() while a candidate evaluates is ignored, so it cannot cause a reload loop', async () => {
    const root = pluginDir({ 'a.mjs': 'export const v = 1;\n' });
    const host = await hostFor({ root, plugins: { a: './a.mjs' }, watch: false });
    let reloads = 0;
    host.on('reloaded', () => reloads++);
    write(root, 'a.mjs', 'import.meta.hot.invalidate();\nexport const v = 2;\n');
    expect(await host.reload()).toMatchObject({ committed: true, generation: 2 });
    await sleep(300);
    expect(reloads).toBe(1);
    expect(host.generation).toBe(2);
  });

  it.each(['context', 'worker'] as const)(
    'a plugin that never reads import.meta costs one call into its hot runtime per generation (%s); data still carries over',
    async (isolation) => {
      const root = pluginDir({ 'a.mjs': counter, 'b.mjs': version(1) });
      const host = await hostFor({ root, plugins: { a: './a.mjs' }, watch: false, isolation });
      expect(host.plugin('a').exports.count).toBe(1);
      // A generation that does not use import.meta.hot: install only, no collect or dispose after it.
      write(root, 'a.mjs', version(2));
      let before = hotRuntimeCalls();
      await host.reload();
      expect(hotRuntimeCalls() - before).toBe(3); // collect and dispose of the counter generation, install of this one
      before = hotRuntimeCalls();
      await host.reload();
      expect(hotRuntimeCalls() - before).toBe(1);
      // What it was given is handed on without asking it: the counter goes on from 1.
      write(root, 'a.mjs', counter);
      await host.reload();
      expect(host.plugin('a').exports.count).toBe(2);
      await host.send('ping');
    },
  );

  it.each(['worker', 'process'] as const)(
    'a reload in %s isolation is one request to the carrier, hot runtime and activate included',
    async (isolation) => {
      const activated = 'let active = false;\nexport const isActive = () => active;\nexport function activate() { active = true; }\n';
      const root = pluginDir({ 'a.mjs': version(1), 'b.mjs': activated });
      const host = await hostFor({ root, plugins: { a: './a.mjs', b: './b.mjs' }, watch: false, isolation });
      write(root, 'a.mjs', version(2));
      const before = workerRequests();
      expect(await host.reload(['a', 'b'])).toMatchObject({ committed: true });
      expect(workerRequests() - before).toBe(2);
      expect(host.plugin('a').exports.version).toBe(2);
      expect(await (host.plugin('b').exports.isActive as () => Promise<boolean>)()).toBe(true);
    },
  );

  it('a policy error about import.meta names the plugin file when hot is off', async () => {
    const root = pluginDir({ 'a.mjs': 'export const h = import.meta.hot.data;\n' });
    const host = await hostFor({ root, plugins: { a: './a.mjs' }, watch: false, hot: false, policy: { preset: 'strict' } });
    expect(host.status('a').lastError?.error).toBeInstanceOf(PolicyError);
  });
});
