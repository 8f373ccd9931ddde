/**
 * What `recommended` no longer refuses because the realm makes it harmless (the rules' headers say
 * why, per pattern): the patterns real packages use run under the default policy and behave as they
 * would natively, and the hostile variant that also passes the policy is stopped by the realm.
 */
import { expect, it } from 'vitest';
import { describeEach } from '../helpers/sandbox.js';
import { guardHost } from '../helpers/host.js';
import { expectBlocked, hostApi, root, run, type Verdict } from './support.js';

const file = './allowed-patterns.mjs';

describeEach('security: patterns the policy allows because the realm holds', (kit) => {
  const host = guardHost(kit);
  const sandbox = () => kit.make(host.observe({ root, modules: { 'host:api': hostApi() } }));

  it("zod's stack-trace tuning: only the realm's own errors change, host errors cross without host frames", async () => {
    expect(host.seen(await run(sandbox(), file, 'stackTraces'))).toEqual({ bare: 'Error: fast', captured: true, host: true });
  });

  it("Sub.__proto__ = Base sets one object's prototype; delete o.__proto__ removes only an own key, never a prototype", async () => {
    expect(host.seen(await run(sandbox(), file, 'deleteProto'))).toEqual([true, true, false, true, true, undefined]);
  });

  it('reading Function (toString, instanceof, feature detection) works; compiling still throws EvalError', async () => {
    const out = host.seen(await run(sandbox(), file, 'functionReads')) as Record<string, unknown>;
    expect(out).toMatchObject({ source: true, objectCtor: true, isFunction: true, evalOn: false });
    expectBlocked(out.compile, 'compile');
    expectBlocked(out.compileNew, 'compileNew');
  });

  it('host globals behind a typeof test of the same name are never read in a sandbox without packages', async () => {
    expect(host.seen(await run(sandbox(), file, 'guardedGlobals'))).toEqual([false, false, false, 'no require', false, false]);
  });

  it('this.constructor(props) renders; the same call on a bridged host function or a sandbox function throws EvalError', async () => {
    const out = host.seen(await run(sandbox(), file, 'constructors')) as Record<string, Verdict | unknown>;
    expect(out).toMatchObject({ wrapper: true, render: 'rendered Ada' });
    expectBlocked(out.viaBridged, 'viaBridged');
    expectBlocked(out.viaOwn, 'viaOwn');
  });
});
