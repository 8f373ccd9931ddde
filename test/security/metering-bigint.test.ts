/**
 * Metering-bypass catalogue (issue #14): BigInt arithmetic. One BigInt operation is one builtin
 * that checks nothing (`10n ** 10000000n` runs for seconds), so a metered realm's turns go
 * without a watchdog only while no BigInt can exist in it (run/realm-source/tame-bigint.ts). Each
 * attack first lets the realm run quiet turns, the ones that would go unwatched: the first
 * turns of a realm are watched anyway, and an attack made then proves nothing.
 */
import { expect, it } from 'vitest';
import { DisposedError, TimeoutError, type ModuleNamespace, type Sandbox } from '../../src/index.js';
import { describeEach } from '../helpers/sandbox.js';
import { BOUND, meteringKit } from './metering-support.js';
import { call, rejection } from './support.js';

/** More than the realm's QUIET_TURNS (run/realm.ts). */
const QUIET = 12;
const hostBig = { 'host:big': { exponent: () => 10_000_000n } };

async function quiet(ns: ModuleNamespace): Promise<void> {
  for (let i = 0; i < QUIET; i++) expect(await call(ns, 'ok')).toBe('alive');
}

describeEach('security: metering bypasses through BigInt arithmetic', (kit) => {
  const m = meteringKit(kit);
  const bound = BOUND[kit.isolation];

  async function expectTimeoutAfterQuiet(sandbox: Sandbox, ns: ModuleNamespace, name: string, ...args: unknown[]): Promise<void> {
    await quiet(ns);
    const started = performance.now();
    const error = m.seen(await rejection(call(ns, name, ...args)));
    expect(error, String(error)).toBeInstanceOf(TimeoutError);
    expect(performance.now() - started).toBeLessThan(bound);
    expect(sandbox.disposed).toBe(true);
    await expect(call(ns, 'ok')).rejects.toBeInstanceOf(DisposedError);
  }

  it('10n ** 10000000n after quiet turns: TimeoutError (a literal keeps the turns watched)', async () => {
    const sandbox = m.make();
    await expectTimeoutAfterQuiet(sandbox, await sandbox.import('./metering-bigint/literal.mjs'), 'power');
  });

  it('BigInt(10) ** BigInt(1e7) after quiet turns: TimeoutError (naming BigInt keeps the turns watched)', async () => {
    const sandbox = m.make();
    await expectTimeoutAfterQuiet(sandbox, await sandbox.import('./metering-bigint/named.mjs'), 'power');
  });

  it('BigInts passed in by the host as arguments, after quiet turns: TimeoutError', async () => {
    const sandbox = m.make({ modules: hostBig });
    await expectTimeoutAfterQuiet(sandbox, await sandbox.import('./metering-bigint/from-host.mjs'), 'power', 10n, 10_000_000n);
  });

  it('a BigInt returned by a host function into an unwatched turn is refused; the next turn is watched and times out', async () => {
    const sandbox = m.make({ modules: hostBig });
    const ns = await sandbox.import('./metering-bigint/from-host.mjs');
    await quiet(ns);
    const refused = m.seen(await rejection(call(ns, 'powerOfReturned')));
    expect(String(refused)).toMatch(/BigInt cannot enter a turn that runs without a watchdog/);
    expect(sandbox.disposed).toBe(false);
    expect(await call(ns, 'ok')).toBe('alive');
    const started = performance.now();
    const error = m.seen(await rejection(call(ns, 'powerOfReturned')));
    expect(error, String(error)).toBeInstanceOf(TimeoutError);
    expect(performance.now() - started).toBeLessThan(bound);
  });

  it('BigInt(10) ** BigInt(1e7) at the top level of a module imported later: TimeoutError', async () => {
    const sandbox = m.make();
    await quiet(await sandbox.import('./metering-bigint/computed.mjs'));
    const started = performance.now();
    const error = m.seen(await rejection(sandbox.import('./metering-bigint/at-import.mjs')));
    expect(error, String(error)).toBeInstanceOf(TimeoutError);
    expect(performance.now() - started).toBeLessThan(bound);
    expect(sandbox.disposed).toBe(true);
  });

  it('builtins named only by computation are not there in a metered realm, and are without metering', async () => {
    const metered = await m.make().import('./metering-bigint/computed.mjs');
    await quiet(metered);
    expect(await call(metered, 'find')).toBe('undefined,undefined,undefined,undefined,undefined,undefined');
    const unmetered = await m.make({ metering: false }).import('./metering-bigint/computed.mjs');
    const found = String(await call(unmetered, 'find')).split(',');
    expect(found.slice(0, 5)).toEqual(['function', 'function', 'function', 'function', 'function']);
  });
});
