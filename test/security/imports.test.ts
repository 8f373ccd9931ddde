/**
 * import() and import.meta: the promise import() returns and its namespace are sandbox-realm
 * (vm2 CVE-2021-23449), every refused import() rejects with a sandbox-realm error (never node:vm's
 * host TypeError), a specifier whose toString changes between calls is resolved once per call,
 * and import.meta has a null prototype, only `url`, and is the module's own.
 */
import { expect, it } from 'vitest';
import { describeEach } from '../helpers/sandbox.js';
import { guardHost } from '../helpers/host.js';
import { call, expectAllBlocked, expectAllOwn, hostApi, root } from './support.js';

const file = './imports.mjs';
type Settled = { ok: boolean; name?: string; code?: string; ownRealm?: boolean; caught?: unknown };

describeEach('security: import() and import.meta', (kit) => {
  const host = guardHost(kit);
  const load = async () => kit.make(host.observe({ root, policy: false, modules: { 'host:api': hostApi() } })).import(file);

  it('CVE-2021-23449: the import() promise, its then and the namespace climb only to the sandbox Function', async () => {
    const out = host.seen(await call(await load(), 'importPromise')) as Record<string, unknown>;
    expect(out).toMatchObject({ own: true, namespace: { protoIsNull: true, value: 'ok' } });
    expectAllBlocked(out, 4, ['EvalError']);
  });

  it('import() of builtins, file:, data:, http:, missing, outside and unknown specifiers rejects with sandbox-realm errors', async () => {
    const out = host.seen(await call(await load(), 'rejections')) as Record<string, Settled>;
    const expected: Record<string, string> = {
      'node:fs': 'ModuleNotAllowedError',
      fs: 'ModuleNotAllowedError',
      'node:process': 'ModuleNotAllowedError',
      process: 'ModuleNotAllowedError',
      child_process: 'ModuleNotAllowedError',
      module: 'ModuleNotAllowedError',
      'file:///etc/passwd': 'ModuleNotAllowedError',
      'data:text/javascript,export default 1': 'ModuleNotAllowedError',
      'http://127.0.0.1:9/x.mjs': 'ModuleNotAllowedError',
      './missing.mjs': 'ResolveError',
      '../outside.mjs': 'ResolveError',
      'host:unknown': 'ModuleNotAllowedError',
    };
    for (const [specifier, name] of Object.entries(expected)) {
      expect(out[specifier], specifier).toMatchObject({ ok: false, name, ownRealm: true });
    }
    // Import attributes: a JS module asked for as JSON, and an options getter that throws, both reject in-realm.
    expect(out.withAttributes).toMatchObject({ ok: false, ownRealm: true });
    expect(out.badAttributes).toMatchObject({ ok: false, ownRealm: true });
    expectAllOwn(out);
    expectAllBlocked(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.caught])), 14, ['EvalError']);
  });

  it('a specifier object whose toString changes (check-then-use) is read once per import(); the second answer is refused', async () => {
    const out = host.seen(await call(await load(), 'toctou')) as Record<string, unknown>;
    expect(out.calls).toBe(2);
    expect(out.first).toEqual({ ok: true, value: 'ok' });
    expect(out.second).toMatchObject({ ok: false, name: 'ResolveError', ownRealm: true });
  });

  it('import.meta: null prototype, only url, no resolve; what a module writes to its own is not what another sees', async () => {
    const sandbox = kit.make(host.observe({ root, policy: false, modules: { 'host:api': hostApi() } }));
    const out = host.seen(await call(await sandbox.import(file), 'meta')) as Record<string, unknown>;
    expect(out).toMatchObject({ protoIsNull: true, keys: ['url'], resolve: 'undefined', dirname: 'undefined' });
    expectAllBlocked({ climb: out.climb, protoClimb: out.protoClimb }, 2, ['TypeError']);
    const reader = await sandbox.import('./imports/meta-reader.mjs');
    expect(reader.default).toMatch(/\/fixtures\/security\/imports\/meta-reader\.mjs$/);
  });

  it('query strings and hashes cannot load a second copy of a module', async () => {
    const out = host.seen(await call(await load(), 'cacheBusting')) as Record<string, Settled>;
    expect(out.query).toMatchObject({ ok: false, name: 'ResolveError', ownRealm: true });
    expect(out.hash).toMatchObject({ ok: false, ownRealm: true });
  });
});
