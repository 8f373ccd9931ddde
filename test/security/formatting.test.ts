/**
 * The host formats what the sandbox gave it: util.inspect, String(), template literals,
 * JSON.stringify, util.format and a console. Results, thrown errors and console arguments are
 * copies, so no custom inspect hook (vm2 CVE-2023-37903), toString, toJSON, Symbol.toPrimitive,
 * getter or trap runs on the host's behalf; console.table with a `__proto__` key (Node
 * CVE-2022-21824) pollutes nothing.
 */
import { Writable } from 'node:stream';
import { Console } from 'node:console';
import { format, inspect } from 'node:util';
import { expect, it } from 'vitest';
import { SandboxError } from '../../src/index.js';
import { describeEach } from '../helpers/sandbox.js';
import { guardHost } from '../helpers/host.js';
import { call, hostApi, rejection, root } from './support.js';

const file = './formatting.mjs';

/** Everything a host might do to show a value; returns the text it produced. */
function formatAll(value: unknown): string {
  let text = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  const hostConsole = new Console({ stdout: sink, stderr: sink });
  hostConsole.log(value);
  hostConsole.table(value);
  hostConsole.dir(value, { depth: 10, showHidden: true });
  const parts = [inspect(value, { depth: 10, showHidden: true, showProxy: true }), format('%s %o %O %j', value, value, value, value)];
  for (const convert of [
    String,
    (v: unknown) => `${v as string}`,
    (v: unknown) => JSON.stringify(v),
    (v: unknown) => (v as object)?.toLocaleString?.(),
  ]) {
    try {
      parts.push(String(convert(value)));
    } catch (error) {
      parts.push(`threw ${(error as Error).name}`);
    }
  }
  return `${parts.join('\n')}\n${text}`;
}

describeEach('security: the host formatting sandbox values', (kit) => {
  const host = guardHost(kit);
  const load = async () => kit.make(host.observe({ root, policy: false, modules: { 'host:api': hostApi() } })).import(file);

  it('CVE-2023-37903 shape: a result with inspect.custom, toPrimitive, toString, valueOf, toJSON and toLocaleString: every host formatter runs none', async () => {
    const ns = await load();
    const value = host.seen(await call(ns, 'hooks')) as Record<string, unknown>;
    expect(value).toMatchObject({ data: 'kept', nested: { list: [{}] } });
    const text = formatAll(value);
    expect(text).toContain('kept');
    expect(String(value)).toBe('[object Object]');
    expect(JSON.stringify(value)).toBe('{"data":"kept","nested":{"list":[{}]}}');
    expect(await call(ns, 'report')).toEqual([]);
  });

  it('a returned error with its own inspect hook and toString is formatted from the copy', async () => {
    const ns = await load();
    const error = host.seen(await call(ns, 'error')) as Error;
    expect(error).toBeInstanceOf(Error);
    formatAll(error);
    expect(String(error)).toBe('Error: formatted');
    expect(await call(ns, 'report')).toEqual([]);
  });

  it('a thrown error with an inspect hook, toString and a name getter reaches the host as a SandboxError that runs none of them', async () => {
    const ns = await load();
    const error = host.seen(await rejection(call(ns, 'throwsHooked')));
    expect(error).toBeInstanceOf(SandboxError);
    formatAll(error);
    // The name getter may run inside the sandbox's own turn (never on the host's stack); nothing else does.
    expect(((await call(ns, 'report')) as string[]).filter((what) => what !== 'name getter')).toEqual([]);
  });

  it('console arguments (hooks, getters, proxies, functions, errors) are described for the host; a console.table __proto__ key pollutes nothing (CVE-2022-21824 shape)', async () => {
    const ns = await load();
    expect(await call(ns, 'logs')).toBe('logged');
    expect(host.log.length).toBeGreaterThanOrEqual(2);
    for (const line of host.log) formatAll(line);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(await call(ns, 'report')).toEqual([]);
  });

  it('an exported sandbox function the host holds is formatted as a host callable; formatting never calls it', async () => {
    const ns = await load();
    const fn = ns.sandboxFunction;
    expect(typeof fn).toBe('function');
    formatAll(fn);
    expect(await call(ns, 'report')).toEqual([]);
  });
});
