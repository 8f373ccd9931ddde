/**
 * A live plugin whose sandbox dies (a call or a background turn past `timeout`) is built again
 * from the same files, as a supervisor restarts a crashed service: calls answer again, `error`
 * says why, and a plugin that keeps dying is restarted at most once a second.
 */
import { describe, expect, it } from 'vitest';
import { PluginError, TimeoutError, type ReloadedEvent } from '../../src/index.js';
import { hostFor, pluginDir, sleep, until } from './support.js';

const SPINNER = 'export const ping = () => "pong";\nexport function spin() { for (;;) {} }\n';

describe.each(['context', 'worker'] as const)('plugin host: a dead live generation is restarted [%s]', (isolation) => {
  it('after a call ran past its timeout: the next calls answer from a new generation', async () => {
    const root = pluginDir({ 'p.mjs': SPINNER });
    const host = await hostFor({ root, plugins: { p: './p.mjs' }, watch: false, isolation, timeout: 100 });
    const errors: Error[] = [];
    const reloaded: ReloadedEvent[] = [];
    host.on('error', (error: Error) => errors.push(error));
    host.on('reloaded', (event) => reloaded.push(event));
    const handle = host.plugin('p');
    await expect((handle.exports.spin as () => Promise<void>)()).rejects.toBeInstanceOf(TimeoutError);
    await until(() => handle.generation === 2, 5_000, 'a restarted generation');
    expect(await (handle.exports.ping as () => Promise<string>)()).toBe('pong');
    expect(reloaded).toEqual([expect.objectContaining({ generation: 2, plugins: ['p'] })]);
    const stopped = errors.find((e) => e instanceof PluginError);
    expect(stopped?.message).toMatch(/plugin "p" \(generation 1\) stopped: .*restarting it/);
    expect(host.status('p')).toMatchObject({ state: 'active', generation: 2 });
  });

  it('after a timer turn ran past its timeout, and no more than once a second when it keeps dying', async () => {
    const root = pluginDir({ 'p.mjs': 'export const ping = () => "pong";\nsetTimeout(() => { for (;;) {} }, 20);\n' });
    const host = await hostFor({ root, plugins: { p: './p.mjs' }, watch: false, isolation, timeout: 50 });
    host.on('error', () => {});
    await until(() => host.plugin('p').generation >= 2, 5_000, 'a first restart');
    await sleep(1_500);
    // Generation 1 died at ~70 ms; each later one ~70 ms after its start, restarted a second apart.
    expect(host.plugin('p').generation).toBeLessThanOrEqual(4);
  });
});
