/**
 * Shared by the security suite: the host API every attack fixture imports as `host:api` (each
 * function opens one path across the boundary); the verdict checks come from test/helpers.
 */
import { fixtures } from '../helpers/sandbox.js';

export const root = fixtures('security');

// The verdict checks live with the other shared helpers; security tests import them from here.
export { call, expectAllBlocked, expectAllOwn, expectBlocked, run, type Verdict } from '../helpers/verdicts.js';
export { rejection } from '../helpers/sandbox.js';

class HostGreeter {
  constructor(readonly name: string) {}
  greet(whom: string) {
    return `${this.name} greets ${whom}`;
  }
}

/** The allow-listed host API (`host:api`): each function opens one path across the boundary. */
export function hostApi(calls: string[] = []) {
  return {
    fn: () => 1,
    settings: { level: 1 },
    hostClass: HostGreeter,
    instance: () => new HostGreeter('Ada'),
    values: () => ({
      object: { nested: { method: () => 1 } },
      array: [1, {}],
      map: new Map([['k', {}]]),
      set: new Set([{}]),
      date: new Date(0),
      regexp: /x/g,
      bytes: new Uint8Array([1]),
      error: new RangeError('r'),
      instance: new HostGreeter('g'),
    }),
    callsBack: (cb: (...args: unknown[]) => unknown) =>
      cb({ a: 1 }, () => 2, new Error('e'), [1], new Map([[1, 2]]), new HostGreeter('cb')),
    thrower: () => {
      throw new TypeError('host type error');
    },
    rethrow: (x: unknown) => {
      throw x;
    },
    /** Throws host values that are not errors: an object holding a function and a class instance, a string, a Symbol-free number. */
    throwsHostValues: (kind: string) => {
      if (kind === 'object') throw { fn: () => process, instance: new HostGreeter('thrown'), list: [new Map([[1, () => process]])] };
      if (kind === 'instance') throw new HostGreeter('thrown');
      if (kind === 'function') throw () => process;
      throw 42;
    },
    echo: (x: unknown) => x,
    resolves: async () => ({ host: true, fn: () => 1 }),
    rejects: async () => {
      throw new TypeError('host rejection');
    },
    /** Host code that coerces, formats and serialises what the sandbox hands it. */
    format: (x: unknown) => {
      calls.push('format');
      return [String(x), `${x as string}`, JSON.stringify(x), typeof x];
    },
    mapper: (list: unknown[]) => {
      calls.push('mapper');
      return list.map((v) => v);
    },
    record: (...args: unknown[]) => {
      calls.push(`record:${args.length}`);
      return args.length;
    },
    wait: (ms: number) => new Promise((resolve) => setTimeout(() => resolve(ms), ms)),
    /** The host reads `process.env` on the sandbox's behalf only through an explicit, narrow API. */
    mode: () => 'test',
  };
}
