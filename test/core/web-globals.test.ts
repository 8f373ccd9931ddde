/**
 * The realm's web globals (run/realm-source/web-*.ts), in every isolation: each behaves as the
 * host's own on representative cases (fixtures/web/behaviour.mjs runs natively and in the
 * sandbox; the two results are compared as data), then what only the realm's show: lazy
 * installation, the spec points where Node differs, URL.parse, the coarse clock, transfer, deep
 * graphs, and a throwing listener reported to `onError` while the others still run.
 */
import { expect, it } from 'vitest';
import { SandboxError } from '../../src/index.js';
import { describeEach, fixtures } from '../helpers/sandbox.js';

const root = fixtures('web');
// The host's own globals on the same cases.
const native = (await import(new URL('behaviour.mjs', root).href)) as Record<string, () => unknown>;
type Fn = () => Promise<unknown>;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describeEach('web globals', ({ make }) => {
  for (const name of ['url', 'searchParams', 'text', 'clone', 'events', 'exceptions', 'platform'] as const) {
    it(`${name}: the same results as the host's own globals`, async () => {
      const sandbox = make({ root, policy: false });
      const ns = await sandbox.import('./behaviour.mjs');
      const expected = await native[name]!();
      expect(await (ns[name] as Fn)()).toEqual(expected);
    });
  }

  it('installs each global on first use, as a plain data property from then on', async () => {
    const sandbox = make({ root, policy: false });
    const ns = await sandbox.import('./realm-only.mjs');
    expect(ns.lazy).toEqual({ accessorBeforeUse: true, dataAfterUse: true, sameEachRead: true });
    expect(await (ns.replaced as Fn)()).toEqual(['mine', 'undefined', false]);
  });

  it('follows the specs where Node does not, has URL.parse on every Node line, a 100 µs clock, and realm-made results', async () => {
    // spec() clones a 100,000-level structure: 0.4-0.7 s on this machine under load, and once past the
    // default 1 s timeout in a worker on Node 26. This test checks what it returns, not how fast.
    const sandbox = make({ root, policy: false, timeout: 10_000 });
    const ns = await sandbox.import('./realm-only.mjs');
    const out = (await (ns.spec as Fn)()) as Record<string, unknown>;
    expect(out.log).toEqual(['passive:false', 'redispatch:InvalidStateError']);
    expect(out.prototypeConstants).toEqual([0, 3]);
    expect(out.urlParse).toEqual(['https://a.example/x', null, 'https://b.example/y']);
    expect(out.otherEncoding).toMatchObject({ error: 'RangeError' });
    expect(out.coarse).toBe(true);
    const transfer = out.transfer as unknown[];
    if (typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function') expect(transfer).toEqual([[1, 2, 3], 0]);
    else expect(transfer).toEqual(['DataCloneError']);
    expect(out.transferNotBuffer).toBe('DataCloneError');
    expect(out.deep).toBe(100_000);
    expect(out.realmMade).toEqual([true, true, true, true, true]);
    expect(out.randomValuesOfArray).toEqual([true, 'TypeError']);
  });

  it("reports a listener's error to onError, runs the other listeners, and the sandbox lives on", async () => {
    const errors: Error[] = [];
    const sandbox = make({ root, policy: false, onError: (error) => errors.push(error) });
    const ns = await sandbox.import('./realm-only.mjs');
    expect(await (ns.throwingListener as Fn)()).toEqual(['second ran', 'dispatch returned true']);
    const until = Date.now() + 5_000;
    while (errors.length === 0 && Date.now() < until) await sleep(5);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(SandboxError);
    expect(errors[0]).toMatchObject({ sandboxName: 'RangeError' });
    expect(errors[0]!.message).toContain('from a listener');
    expect(sandbox.disposed).toBe(false);
    expect((await sandbox.evaluate('export default btoa("ok")')).default).toBe('b2s=');
  });

  it('lets the recommended policy through: reading, calling and constructing the web globals', async () => {
    const sandbox = make({ root });
    const ns = await sandbox.import('./behaviour.mjs');
    expect(await (ns.text as Fn)()).toEqual(native.text!());
  });
});
