/**
 * Errors and stacks: the vm2 exception-sanitization escapes (CVE-2022-36067, CVE-2023-29017,
 * CVE-2023-30547, CVE-2023-32314, CVE-2019-10761, CVE-2021-23555), Error.prepareStackTrace and
 * CallSites, errors raised while a stack is formatted, and sandbox errors the host receives.
 * Every error the sandbox catches must be its own realm's; every error the host receives a
 * host-built SandboxError that ran none of the sandbox's getters.
 */
import { expect, it } from 'vitest';
import { SandboxError } from '../../src/index.js';
import { describeEach } from '../helpers/sandbox.js';
import { guardHost } from '../helpers/host.js';
import { call, expectAllBlocked, expectAllOwn, hostApi, rejection, root } from './support.js';

const file = './errors-and-stacks.mjs';

describeEach('security: errors and stacks', (kit) => {
  const host = guardHost(kit);
  const load = async (extra = {}) =>
    kit.make(host.observe({ root, policy: false, modules: { 'host:api': hostApi() }, ...extra })).import(file);

  it('CVE-2022-36067: replacing the global Error cannot install a prepareStackTrace that sees CallSites', async () => {
    const out = host.seen(await call(await load(), 'replaceErrorGlobal')) as Record<string, unknown>;
    expect(out.stillOwnError).toBe(true);
    expect(out.sitesSeen).toBe(0);
    // Stacks of the two errors the host threw are strings (the third call did not throw).
    expect((out.stacks as string[]).slice(0, 2)).toEqual(['string', 'string']);
    expectAllOwn(out.errors);
    expectAllBlocked(out.errors, 2, ['EvalError']);
    expectAllBlocked({ replaced: out.replaced, defined: out.defined }, 2, ['TypeError']);
  });

  it('CVE-2023-29017: no prepareStackTrace the sandbox installs runs for async host errors, handled or not', async () => {
    const out = host.seen(await call(await load(), 'prepareOnAsyncErrors')) as Record<string, unknown>;
    expect(out.calls).toBe(0);
    expect(out.stackType).toBe('string');
    expectAllOwn(out.asyncError);
    expectAllBlocked(out.asyncError, 1);
    const installs = out.installs as Record<string, { escaped: boolean; value?: string }>;
    expectAllBlocked({ assign: installs.assign, subclass: installs.subclass }, 2, ['TypeError']);
    // An Object.prototype accessor and a new prototype for Error may be installed: V8 consults
    // neither (Error's own, locked property wins), which `calls === 0` shows.
  });

  it('CVE-2023-30547: a Proxy whose getPrototypeOf overflows the stack, thrown and caught (destructuring catch included), yields nothing foreign', async () => {
    // Each overflow takes ~1 s of CPU in a worker on a busy machine: a timeout of its own, as below,
    // so the case is judged on what it caught, not on the machine's load.
    const out = host.seen(await call(await load({ timeout: 20_000 }), 'proxyOverflowInCatch')) as Record<string, unknown>;
    expectAllOwn(out);
    expectAllBlocked(out, 4, ['EvalError', 'TypeError', 'RangeError', 'MembraneError']);
  });

  it('CVE-2023-32314: an error name with a Proxy toString; its trap only ever sees sandbox values', async () => {
    const out = host.seen(await call(await load(), 'nameToStringProxy')) as Record<string, unknown>;
    expectAllOwn(out);
    // The host formats a copy (format() returns): the trap never runs for the host.
    expectAllBlocked({ rethrown: out.rethrown, trap: out.trapArgs }, 1, ['EvalError']);
    expect(out.formatted).toBeUndefined();
  });

  it('CVE-2019-10761: a stack overflow striking inside bridged host calls yields only sandbox-realm errors', async () => {
    const sandbox = kit.make(host.observe({ root, policy: false, timeout: 20_000, modules: { 'host:api': hostApi() } }));
    const out = host.seen(await call(await sandbox.import(file), 'overflowIntoBridge')) as Record<string, number>;
    expect(out.foreign).toBe(0);
    expect(out.escapes).toBe(0);
    // Bridged calls were made at the edge of the stack, and errors were caught there (all own).
    expect(out.calls).toBeGreaterThan(100);
    expect(out.own).toBeGreaterThan(0);
  });

  it('CVE-2021-23555 / CVE-2026-22709 shape: e.name = Symbol() while stacks are built, in the sandbox and through the host', async () => {
    const out = host.seen(await call(await load(), 'symbolName')) as Record<string, unknown>;
    expectAllOwn(out);
    expectAllBlocked({ rethrown: out.rethrown }, 1, ['EvalError']);
    expect(out.formatted).toBeUndefined();
    for (const key of ['stack', 'toString'] as const) {
      const v = out[key] as { escaped: boolean; ownRealm?: boolean };
      if (!v.escaped) expect(v.ownRealm, key).toBe(true);
    }
  });

  it('a stack overflow while the host formats a thrown error (recursive name getter) becomes a SandboxError', async () => {
    const error = host.seen(await rejection(call(await load(), 'throwsOverflowingName')));
    expect(error).toBeInstanceOf(SandboxError);
    expect(Object.getPrototypeOf(Object.getPrototypeOf(error))).not.toBeNull();
    expect(typeof error.stack).toBe('string');
  });

  it('an error named and messaged by Symbols, thrown out, becomes a SandboxError with string fields', async () => {
    const error = host.seen(await rejection(call(await load(), 'throwsSymbolName')));
    expect(error).toBeInstanceOf(SandboxError);
    expect(typeof error.message).toBe('string');
    expect(typeof error.stack).toBe('string');
  });

  it('an error whose stack and message getters throw, thrown out, becomes a SandboxError; the host runs none of them', async () => {
    const error = host.seen(await rejection(call(await load(), 'throwsThrowingGetters')));
    expect(error).toBeInstanceOf(SandboxError);
    expect(String(error.message)).not.toMatch(/stack getter/);
  });

  it('host errors carry no host frames or paths into the sandbox, even with stackTraceLimit = Infinity', async () => {
    expect(host.seen(await call(await load(), 'hostStacks'))).toEqual({ leaksHostPaths: false, count: 2 });
  });

  it('Error.captureStackTrace on bridged functions and host copies gives a string stack, never CallSites', async () => {
    const out = host.seen(await call(await load(), 'captureOnHostValues')) as unknown[];
    for (const item of out) {
      if (typeof item === 'object') expectAllBlocked(item, 1, ['TypeError']);
      else expect(item).toBe('string');
    }
  });

  it('host code throwing non-errors (objects holding functions, class instances, functions, numbers): the sandbox catches copies', async () => {
    const out = host.seen(await call(await load(), 'hostThrownValues')) as Record<string, unknown>;
    expectAllOwn(out);
    expectAllBlocked(out, 7, ['EvalError', 'TypeError']);
  });
});
