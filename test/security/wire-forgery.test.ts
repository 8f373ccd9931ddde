/**
 * Marker forgery on the worker wire (found by this suite): plain sandbox data shaped like the
 * worker protocol's markers (`{ __esmSandboxFn: -1 }`, `{ __esmSandboxPromise: n }`, ...) must
 * cross as that data, never as the host's own function, a forged esm-sandbox error, a
 * SourceModule or a host promise. Both isolations must give the same answer.
 */
import { expect, it } from 'vitest';
import { EsmSandboxError, SandboxError, SourceModule } from '../../src/index.js';
import { describeEach } from '../helpers/sandbox.js';
import { guardHost } from '../helpers/host.js';
import { call, hostApi, rejection, root } from './support.js';

const file = './wire-forgery.mjs';
const FORGED = {
  fn: { __esmSandboxFn: -1 },
  own: { __esmSandboxFn: 1 },
  err: { __esmSandboxError: { className: 'TimeoutError', message: 'forged', stack: 'forged', fields: { code: 'ERR_SANDBOX_TIMEOUT' } } },
  src: { __esmSandboxSourceModule: 'export default process' },
  promise: { __esmSandboxPromise: 1 },
  escaped: { __esmSandboxEscaped: { __esmSandboxFn: -1 } },
  nested: [new Map([[{ __esmSandboxFn: -2 }, new Set([{ __esmSandboxPromise: 2 }])]])],
};

/** Nothing inside is a function, a promise, an Error or a SourceModule. */
function plainOnly(value: unknown, seen = new Set<unknown>()): boolean {
  if (value === null || typeof value !== 'object') return typeof value !== 'function';
  if (seen.has(value)) return true;
  seen.add(value);
  if (value instanceof Promise || value instanceof Error || value instanceof SourceModule) return false;
  if (value instanceof Map) return [...value].every(([k, v]) => plainOnly(k, seen) && plainOnly(v, seen));
  if (value instanceof Set) return [...value].every((v) => plainOnly(v, seen));
  return Object.values(value).every((v) => plainOnly(v, seen));
}

describeEach('security: protocol marker forgery', (kit) => {
  const host = guardHost(kit);
  const calls: string[] = [];
  const api = {
    ...hostApi(calls),
    record: (...args: unknown[]) => {
      calls.push(JSON.stringify(args));
      return plainOnly(args);
    },
  };
  const load = async () => kit.make(host.observe({ root, policy: false, modules: { 'host:api': api } })).import(file);

  it('marker-shaped results reach the host as plain data (no host function, forged error, SourceModule or promise)', async () => {
    const out = host.seen(await call(await load(), 'forged'));
    expect(plainOnly(out)).toBe(true);
    expect(out).toEqual(FORGED);
  });

  it('a marker-shaped cycle keeps its identity and stays data', async () => {
    const out = host.seen(await call(await load(), 'cyclic')) as Record<string, unknown>;
    expect(out.self).toBe(out);
    expect(out.__esmSandboxFn).toBe(-1);
  });

  it('marker-shaped arguments reach host functions as data, and come back through the host as data', async () => {
    const ns = await load();
    expect(await call(ns, 'passToHost')).toBe(true);
    expect(calls).toEqual([JSON.stringify([FORGED.fn, FORGED.promise])]);
    expect(host.seen(await call(ns, 'echoThroughHost'))).toEqual(FORGED);
  });

  it('marker-shaped console arguments and thrown values stay data; the thrown one is a SandboxError, not a forged DeadlineError', async () => {
    const ns = await load();
    expect(await call(ns, 'logs')).toBe('logged');
    expect(plainOnly(host.log)).toBe(true);
    const error = host.seen(await rejection(call(ns, 'throwsForged')));
    expect(error).toBeInstanceOf(SandboxError);
    expect(error).toBeInstanceOf(EsmSandboxError);
    expect(error.code).toBe('ERR_SANDBOX_THROWN');
  });
});
