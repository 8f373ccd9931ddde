/**
 * Constructor chains: from the global, literals, bridged host functions and their call/bind
 * results, host return values and class instances, `caller` walks, callback arguments and the
 * other function kinds. Policy off: the realm itself must hold, not the static rules.
 * Advisories: safe-eval CVE-2017-16088, static-eval CVE-2017-16226, vm2's early escapes.
 */
import { expect, it } from 'vitest';
import { describeEach } from '../helpers/sandbox.js';
import { guardHost } from '../helpers/host.js';
import { expectAllBlocked, expectAllOwn, expectBlocked, hostApi, root, run, type Verdict } from './support.js';

const file = './constructor-chain.mjs';

describeEach('security: constructor chains', (kit) => {
  const host = guardHost(kit);
  const sandbox = () => kit.make(host.observe({ root, policy: false, modules: { 'host:api': hostApi() } }));

  it('CVE-2017-16088 (safe-eval): globalThis.constructor.constructor reaches only the sandbox Function', async () => {
    expectBlocked(host.seen(await run(sandbox(), file, 'globalChain')), 'global');
  });

  it('CVE-2017-16226 (static-eval): the chain from object, array, regexp and string literals', async () => {
    expectAllBlocked(host.seen(await run(sandbox(), file, 'literalChain')), 4, ['EvalError']);
  });

  it('vm2 #32 shape: a bridged host function climbed directly, by chain and by prototype', async () => {
    const out = host.seen(await run(sandbox(), file, 'bridgedFunction')) as Record<string, unknown>;
    expect(out.protoIsOwn).toBe(true);
    expectAllBlocked(out, 3, ['EvalError']);
  });

  it('bound, called and applied host functions and their results climb to the sandbox Function', async () => {
    expectAllBlocked(host.seen(await run(sandbox(), file, 'boundAndApplied')), 3, ['EvalError']);
  });

  it('host return values (object, array, Map, Set, Date, RegExp, typed array, error, instance): own realm, by constructor, __proto__ and __lookupGetter__', async () => {
    const out = host.seen(await run(sandbox(), file, 'returnValues')) as Record<string, Record<string, Verdict>>;
    expect(Object.keys(out)).toHaveLength(9);
    expectAllOwn(out);
    expectAllBlocked(out, 27, ['EvalError']);
  });

  it('host class instances and `new` on a bridged host class stay in the sandbox realm', async () => {
    const out = host.seen(await run(sandbox(), file, 'classInstance'));
    expectAllOwn(out);
    expectAllBlocked(out, 3);
  });

  it('fn.caller, fn.arguments and arguments.callee.caller never reach a host frame', async () => {
    const out = host.seen(await run(sandbox(), file, 'callerWalk')) as Record<string, Verdict>;
    expect(Object.keys(out).sort()).toEqual(['argumentsOfBridged', 'callee', 'callerOfBridged', 'probeCaller']);
    // Strict-mode functions throw a TypeError on these; a value (even null) would be a host frame's trace.
    for (const [key, verdict] of Object.entries(out)) {
      if (verdict.escaped) expect(['null', 'undefined'], key).toContain(verdict.value);
      else expectBlocked(verdict, key, ['TypeError']);
    }
  });

  it('arguments a host function passes to a sandbox callback (a class instance among them) arrive as sandbox copies', async () => {
    const out = host.seen(await run(sandbox(), file, 'callbackArguments'));
    expectAllOwn(out);
    expectAllBlocked(out, 7, ['EvalError']);
  });

  it('async, generator and async generator Function constructors, bound and Reflect.construct forms, refuse code', async () => {
    expectAllBlocked(host.seen(await run(sandbox(), file, 'otherFunctionKinds')), 5, ['EvalError']);
  });
});
