/**
 * A bridged call whose turn times out while the host is still answering it: the watchdog wakes
 * the worker from its wait, the sandbox dies of its timeout, and the host's answer arrives later,
 * on the call port every sandbox of that worker shares. That late answer was once taken for the
 * next call's, so another sandbox received the first one's host data. Calls are numbered now, and
 * a late answer is dropped. (No `context` run: there the host function runs inside the turn.)
 */
import { expect, it } from 'vitest';
import { TimeoutError } from '../../src/index.js';
import { guardHost } from '../helpers/host.js';
import { describeEach, rejection } from '../helpers/sandbox.js';
import { root } from './support.js';

const busy = (ms: number, value: string) => {
  const until = Date.now() + ms;
  while (Date.now() < until);
  return value;
};

describeEach(
  'security: late answers to bridged calls',
  (kit) => {
    const host = guardHost(kit);

    it('the answer to a timed-out call never reaches the next sandbox that calls the host', async () => {
      // Both in the shared lane's worker (and child), so they share its call port.
      const first = kit.make(
        host.observe({ root, policy: false, timeout: 300, modules: { 'host:api': { secret: () => busy(1_500, 'first-secret') } } }),
      );
      const second = kit.make(host.observe({ root, policy: false, modules: { 'host:api': { mine: () => 'second-own' } } }));
      const secondNs = await second.evaluate<{ ask(): Promise<unknown> }>(
        "import { mine } from 'host:api'; export const ask = () => mine();",
      );
      const firstNs = await first.evaluate<{ ask(): Promise<unknown> }>(
        "import { secret } from 'host:api'; export const ask = () => secret();",
      );
      expect(host.seen(await rejection(firstNs.ask()))).toBeInstanceOf(TimeoutError);
      for (let i = 0; i < 3; i++) expect(host.seen(await secondNs.ask())).toBe('second-own');
    });
  },
  ['worker', 'process'],
);
