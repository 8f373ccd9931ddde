/**
 * A host function (or host promise) whose value structured clone refuses, a Symbol say: in
 * `worker` and `process` isolation the answer could not be posted, which threw in the host (an
 * uncaught exception) and left the worker waiting until its turn timed out. The sandbox gets an
 * error it can catch instead; the host sees nothing thrown. (`context` copies a Symbol through
 * its membrane and is not concerned.)
 */
import { expect, it } from 'vitest';
import { guardHost } from '../helpers/host.js';
import { describeEach } from '../helpers/sandbox.js';
import { root } from './support.js';

describeEach(
  'security: host values structured clone refuses',
  (kit) => {
    const host = guardHost(kit);

    it('a Symbol from a host function or a host promise is an error inside the sandbox, never an exception in the host', async () => {
      const uncaught: unknown[] = [];
      const onUncaught = (error: unknown) => {
        uncaught.push(error);
      };
      process.on('uncaughtException', onUncaught);
      try {
        const sandbox = kit.make(
          host.observe({
            root,
            policy: false,
            modules: { 'host:api': { symbol: () => Symbol('x'), later: () => Promise.resolve(Symbol('y')) } },
          }),
        );
        const ns = await sandbox.evaluate<Record<string, () => Promise<unknown>>>(`import { symbol, later } from 'host:api';
        export const now = () => { try { return typeof symbol(); } catch (e) { return 'caught ' + e.message; } };
        export const afterwards = async () => { try { return typeof await later(); } catch (e) { return 'caught ' + e.message; } };`);
        expect(host.seen(await ns.now!())).toMatch(/^caught .*could not be cloned/);
        expect(host.seen(await ns.afterwards!())).toMatch(/^caught .*could not be cloned/);
      } finally {
        await new Promise((resolve) => setTimeout(resolve, 20));
        process.off('uncaughtException', onUncaught);
      }
      expect(uncaught).toEqual([]);
    });
  },
  ['worker', 'process'],
);
