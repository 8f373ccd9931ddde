/**
 * Shared by the security suite: the host API every attack fixture imports as `host:api` (each
 * function opens one path across the boundary), and the verdict checks.
 */
import { expect } from 'vitest';
import type { ModuleNamespace, Sandbox } from '../../src/index.js';
import { fixtures } from '../helpers/sandbox.js';

export const root = fixtures('security');

export interface Verdict { escaped: boolean; name?: string; ownRealm?: boolean; value?: string }

/**
 * The attempt failed with a value of the sandbox's own realm: `EvalError` where it reached the
 * sandbox's Function (which may not compile strings), or the given error names otherwise.
 */
export function expectBlocked(verdict: unknown, label: string, names: readonly string[] = ['EvalError']): void {
  const v = verdict as Verdict;
  expect(v, `${label}: no verdict`).toBeTypeOf('object');
  expect(v.escaped, `${label}: escaped with ${String(v.value)}`).toBe(false);
  expect(v.ownRealm, `${label}: the error came from another realm`).toBe(true);
  expect(names, `${label}: unexpected ${String(v.name)}`).toContain(v.name);
}

/** Every verdict (an object with `escaped`) anywhere inside a fixture's result. */
export function verdicts(value: unknown, path = 'result', out: Array<[string, Verdict]> = []): Array<[string, Verdict]> {
  if (value === null || typeof value !== 'object') return out;
  if ('escaped' in value) {
    out.push([path, value as Verdict]);
    return out;
  }
  for (const [key, inner] of Object.entries(value)) verdicts(inner, `${path}.${key}`, out);
  return out;
}

/** Every verdict inside `value` failed in the sandbox's realm; at least `min` of them exist. */
export function expectAllBlocked(value: unknown, min = 1, names: readonly string[] = ['EvalError', 'TypeError']): void {
  const found = verdicts(value);
  expect(found.length, 'verdicts found').toBeGreaterThanOrEqual(min);
  for (const [path, verdict] of found) expectBlocked(verdict, path, names);
}

/** Every `own`/`ownRealm`/`*IsOwn` flag inside `value` is true. */
export function expectAllOwn(value: unknown, path = 'result'): void {
  if (value === null || typeof value !== 'object') return;
  for (const [key, inner] of Object.entries(value)) {
    if (/^own$|^ownRealm$|IsOwn$/.test(key)) expect(inner, `${path}.${key}`).toBe(true);
    else expectAllOwn(inner, `${path}.${key}`);
  }
}

export type Fn = (...args: unknown[]) => Promise<unknown>;
export const call = (ns: ModuleNamespace, name: string, ...args: unknown[]) => (ns[name] as Fn)(...args);

/** Import a fixture and call one export. */
export async function run(sandbox: Sandbox, file: string, name: string, ...args: unknown[]): Promise<unknown> {
  return call(await sandbox.import(file), name, ...args);
}

/** The rejection of a promise that must reject. */
export async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

class HostGreeter {
  constructor(readonly name: string) {}
  greet(whom: string) { return `${this.name} greets ${whom}`; }
}

/** The allow-listed host API (`host:api`): each function opens one path across the boundary. */
export function hostApi(calls: string[] = []) {
  return {
    fn: () => 1,
    settings: { level: 1 },
    hostClass: HostGreeter,
    instance: () => new HostGreeter('Ada'),
    values: () => ({
      object: { nested: { method: () => 1 } }, array: [1, {}], map: new Map([['k', {}]]), set: new Set([{}]),
      date: new Date(0), regexp: /x/g, bytes: new Uint8Array([1]), error: new RangeError('r'), instance: new HostGreeter('g'),
    }),
    callsBack: (cb: (...args: unknown[]) => unknown) => cb({ a: 1 }, () => 2, new Error('e'), [1], new Map([[1, 2]]), new HostGreeter('cb')),
    thrower: () => { throw new TypeError('host type error'); },
    rethrow: (x: unknown) => { throw x; },
    /** Throws host values that are not errors: an object holding a function and a class instance, a string, a Symbol-free number. */
    throwsHostValues: (kind: string) => {
      if (kind === 'object') throw { fn: () => process, instance: new HostGreeter('thrown'), list: [new Map([[1, () => process]])] };
      if (kind === 'instance') throw new HostGreeter('thrown');
      if (kind === 'function') throw () => process;
      throw 42;
    },
    echo: (x: unknown) => x,
    resolves: async () => ({ host: true, fn: () => 1 }),
    rejects: async () => { throw new TypeError('host rejection'); },
    /** Host code that coerces, formats and serialises what the sandbox hands it. */
    format: (x: unknown) => { calls.push('format'); return [String(x), `${x as string}`, JSON.stringify(x), typeof x]; },
    mapper: (list: unknown[]) => { calls.push('mapper'); return list.map((v) => v); },
    record: (...args: unknown[]) => { calls.push(`record:${args.length}`); return args.length; },
    wait: (ms: number) => new Promise((resolve) => setTimeout(() => resolve(ms), ms)),
    /** The host reads `process.env` on the sandbox's behalf only through an explicit, narrow API. */
    mode: () => 'test',
  };
}
