/**
 * Global detection (docs/SEMANTICS.md): a sandbox with packages answers `Function('return this')()`
 * with its own globalThis, as lodash needs, and refuses every other string compiled into code.
 * Policy off: the realm alone must hold.
 */
import { expect, it } from 'vitest';
import { describeEach } from '../helpers/sandbox.js';
import { guardHost } from '../helpers/host.js';
import { expectAllBlocked, hostApi, root, run } from './support.js';

const file = './global-detection.mjs';

describeEach('security: global detection', (kit) => {
  const host = guardHost(kit);
  // Listing a package (none needs to be installed) gives the realm its package globals.
  const sandbox = () => kit.make(host.observe({ root, policy: false, packages: ['not-installed'], modules: { 'host:api': hostApi() } }));

  it('Function("return this")() is the realm\'s own globalThis, by the global and by the prototype chain; self and global too', async () => {
    const out = host.seen(await run(sandbox(), file, 'answered')) as Record<string, boolean>;
    expect(out).toEqual({
      plain: true,
      newed: true,
      strict: true,
      receiver: true,
      viaPrototype: true,
      aliases: true,
      identity: true,
      globalIsOwn: true,
      processIsShim: true,
    });
  });

  it("any other body, arity or constructor still throws the realm's EvalError", async () => {
    const out = host.seen(await run(sandbox(), file, 'refused'));
    expectAllBlocked(out, 20, ['EvalError']);
  });

  it('feature detection by try { new Function("") } catch {} still finds code generation off', async () => {
    expect(host.seen(await run(sandbox(), file, 'featureDetection'))).toBe(false);
  });

  it('a sandbox without packages has none of it: Function("return this") throws EvalError, self and global do not exist', async () => {
    const plain = kit.make(host.observe({ root, policy: false }));
    const ns = await plain.evaluate(
      'let f; try { f = Function("return this")(); } catch (e) { f = e.name; } export default [f, typeof self, typeof global];',
    );
    expect(host.seen(ns.default)).toEqual(['EvalError', 'undefined', 'undefined']);
  });
});
