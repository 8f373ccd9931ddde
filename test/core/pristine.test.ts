/**
 * A realm that holds no sandbox code yet (Realm `pristine`): until a module of the sandbox's own is
 * evaluated, only esm-sandbox's bootstrap, trusted sources (`SourceModule`) and copies of host data
 * are in it, so its turns and evaluations run without Node's watchdog (a thread each: the plugin
 * host imports and installs its `import.meta.hot` runtime so, on every reload). A trusted source
 * that busies itself past `timeout` shows which way a turn went: it finishes unwatched, and is cut
 * off once sandbox code has run, as any turn is.
 */
import { expect, it } from 'vitest';
import { SourceModule, TimeoutError } from '../../src/index.js';
import { describeEach, fixtures, rejection } from '../helpers/sandbox.js';

type Exports = Record<string, () => Promise<unknown>>;

const TIMEOUT = 50;
const BUSY = `const spin = (ms) => { const end = Date.now() + ms; let n = 0; while (Date.now() < end) n++; return n > 0; };
export const busyAtLoad = spin(${TIMEOUT * 4});
export const busy = () => spin(${TIMEOUT * 4});`;
const TRUSTED = 'export const answer = () => 42;';

describeEach(
  'a realm without sandbox code',
  (kit) => {
    const make = (modules: Record<string, SourceModule>) => kit.make({ root: fixtures('basic'), timeout: TIMEOUT, modules });

    it('evaluates a trusted source and calls into it without a watchdog', async () => {
      const sandbox = make({ 'host:trusted': new SourceModule(TRUSTED), 'host:busy': new SourceModule(BUSY) });
      expect(await (await sandbox.import<Exports>('host:trusted')).answer!()).toBe(42);
      const ns = await sandbox.import<Exports & { busyAtLoad: boolean }>('host:busy');
      expect(ns.busyAtLoad).toBe(true);
      expect(await ns.busy!()).toBe(true);
      expect(sandbox.disposed).toBe(false);
    });

    it('bounds the same trusted source once sandbox code was evaluated', async () => {
      const sandbox = make({ 'host:busy': new SourceModule(BUSY) });
      expect((await sandbox.evaluate('export const x = 1;')).x).toBe(1);
      expect(await rejection(sandbox.import('host:busy'))).toBeInstanceOf(TimeoutError);
      expect(sandbox.disposed).toBe(true);
    });

    it('bounds a call into trusted code made after sandbox code was evaluated', async () => {
      const sandbox = make({ 'host:trusted': new SourceModule(BUSY.replace(`export const busyAtLoad = spin(${TIMEOUT * 4});\n`, '')) });
      const ns = await sandbox.import<Exports>('host:trusted');
      await sandbox.evaluate('export const x = 1;');
      expect(await rejection(ns.busy!())).toBeInstanceOf(TimeoutError);
      expect(sandbox.disposed).toBe(true);
    });
  },
  ['context', 'worker'],
);
