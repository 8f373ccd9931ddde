/**
 * The suite's own instruments must be able to fail: the canary scan finds a deliberate leak
 * (a host API that hands out the secret), and the host snapshot sees a polluted prototype.
 */
import { expect, it } from 'vitest';
import { describeEach } from '../helpers/sandbox.js';
import { CANARY, CANARY_NAME, hostChanges, render, snapshotHost } from '../helpers/host.js';
import { root } from './support.js';

describeEach('security harness', ({ make }) => {
  it('the canary scan sees a secret that a careless host API leaks, in a result, an error and a console line', async () => {
    const lines: unknown[] = [];
    const sandbox = make({
      root,
      policy: false,
      console: (_level, args) => {
        lines.push(args);
      },
      modules: { 'host:careless': { leak: () => process.env[CANARY_NAME] } },
    });
    const ns = await sandbox.evaluate(`
      import { leak } from 'host:careless';
      export const result = () => ({ nested: [leak()] });
      export const thrown = () => { throw new Error('x ' + leak()); };
      export const logged = () => { console.log(leak()); };
    `);
    const result = await (ns.result as () => Promise<unknown>)();
    const error = await (ns.thrown as () => Promise<unknown>)().catch((e: unknown) => e);
    await (ns.logged as () => Promise<unknown>)();
    expect(render(result)).toContain(CANARY);
    expect(render(error)).toContain(CANARY);
    expect(render(lines)).toContain(CANARY);
  });
});

it('the host snapshot sees a property added to a host prototype, and a new global', () => {
  const before = snapshotHost();
  const proto = Object.prototype as Record<string, unknown>;
  const global = globalThis as Record<string, unknown>;
  proto.pollutedForTheHarness = 1;
  global.addedForTheHarness = 1;
  try {
    expect(hostChanges(before, snapshotHost())).toEqual(['Object.prototype.pollutedForTheHarness', 'globalThis names']);
  } finally {
    delete proto.pollutedForTheHarness;
    delete global.addedForTheHarness;
  }
  expect(hostChanges(before, snapshotHost())).toEqual([]);
});
