/**
 * The realm's web globals (run/realm-source/web-*.ts) lead to nothing of the host's, in every
 * isolation, policy off:
 * - a walk from every global and from what using them gives (instances, results, thrown errors):
 *   every object reached ends its chain at the realm's Object.prototype, and every function's
 *   constructor is one of the realm's, which refuses to compile;
 * - user code that replaces the realm's builtins (charCodeAt, push, Map.prototype.set,
 *   Reflect.apply, Function.prototype.call...) and puts setters on Object.prototype before the
 *   globals are first used neither breaks them nor sees any of their internal work;
 * - huge inputs end in TimeoutError (their loops charge metered code's clock) or, for
 *   structuredClone past its cap, in a DataCloneError; the host is unchanged and alive.
 */
import { expect, it } from 'vitest';
import { TimeoutError } from '../../src/index.js';
import { WEB_GLOBAL_NAMES } from '../../src/constants.js';
import { guardHost } from '../helpers/host.js';
import { describeEach } from '../helpers/sandbox.js';
import { call, rejection, root } from './support.js';

const file = './web-globals.mjs';

describeEach('security: web globals', (kit) => {
  const host = guardHost(kit);
  const make = (options: { timeout?: number; deadline?: number } = {}) => kit.make(host.observe({ root, policy: false, ...options }));

  it('every object reachable from the web globals and their results is of the realm, every constructor refuses code', async () => {
    const ns = await make().import(file);
    const out = host.seen(await call(ns, 'walk', [...WEB_GLOBAL_NAMES])) as {
      visited: number;
      functions: number;
      foreign: string[];
      compiled: string[];
      reachedAll: boolean;
    };
    expect(out.reachedAll).toBe(true);
    // Every global, its prototypes, methods, accessors, instances and errors: hundreds of objects.
    expect(out.visited).toBeGreaterThan(400);
    expect(out.functions).toBeGreaterThan(200);
    expect(out.foreign).toEqual([]);
    expect(out.compiled).toEqual([]);
  });

  it("builtins replaced and Object.prototype setters defined before first use: the globals work and call none of the user's", async () => {
    const ns = await make().import(file);
    const { out, calls } = host.seen(await call(ns, 'tampered')) as { out: unknown; calls: string[] };
    expect(out).toEqual({
      query: 'a=1&b=%C3%A9&c=d',
      encoded: [104, 195, 169, 3],
      decoded: 'hé',
      encodeInto: [2, 3],
      base64: ['aGk=', 'hi'],
      clone: [2, 1],
      fired: 1,
      url: '1',
    });
    expect(calls).toEqual([]);
  });

  for (const [kind, size] of [
    ['encode', 1 << 25],
    ['decode', 1 << 26],
    ['btoa', 1 << 25],
    ['atob', 1 << 25],
    ['query', 1 << 23],
  ] as const) {
    it(`a huge input to ${kind} ends in TimeoutError in a turn without a watchdog`, async () => {
      const sandbox = make({ timeout: 150 });
      const ns = await sandbox.import(file);
      expect(await call(ns, 'prepare', kind, size)).toBe(kind);
      // Quiet turns: the realm stops arming a watchdog (run/realm.ts, QUIET_TURNS).
      for (let i = 0; i < 10; i++) await call(ns, 'quiet');
      host.seen(expect(await rejection(call(ns, 'use', kind))).toBeInstanceOf(TimeoutError));
      expect(sandbox.disposed).toBe(true);
    });
  }

  it('a huge graph to structuredClone ends in TimeoutError in a turn without a watchdog', async () => {
    // The graph is copied across the membrane (and, out of `context`, posted to a thread or child)
    // before the turn starts: seconds of host work on a loaded machine, which the default deadline
    // (10 s) must not cut short. The turn's own time, the thing asserted, is still 100 ms.
    const sandbox = make({ timeout: 100, deadline: 90_000 });
    const ns = await sandbox.import(file);
    for (let i = 0; i < 10; i++) await call(ns, 'quiet');
    const numbers = new Set(Array.from({ length: 950_000 }, (_, i) => i));
    host.seen(expect(await rejection(call(ns, 'cloneSet', numbers))).toBeInstanceOf(TimeoutError));
    expect(sandbox.disposed).toBe(true);
  }, 120_000);

  it('structuredClone stops at 1,000,000 values with a DataCloneError', async () => {
    // A million values walked in one turn: a second idle, several on a loaded machine; the timeout
    // and deadline only keep a broken cap from running on.
    const ns = await make({ timeout: 20_000, deadline: 25_000 }).import(file);
    expect(host.seen(await call(ns, 'cloneTooMany', 1_000_001))).toBe(
      'DataCloneError: structuredClone: more than 1000000 values in the sandbox',
    );
    expect(await call(ns, 'cloneTooMany', 1_000)).toBe('cloned');
  });
});
