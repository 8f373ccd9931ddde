/**
 * The host registers every module it compiles with the realm's stack formatter (the transform's
 * column edits), outside any turn. Sandbox code that redefines the builtins such a registration
 * might use (`Symbol.split` on String.prototype, an index setter on Array.prototype) must never
 * run then: outside a turn nothing bounds it, and a loop there held the host for good.
 */
import { expect, it } from 'vitest';
import { describeEach, fixtures } from '../helpers/sandbox.js';
import { guardHost } from '../helpers/host.js';

const root = fixtures('security/registration');

describeEach('security: module registration runs no sandbox code', (kit) => {
  const host = guardHost(kit);

  it('a module compiled after String.prototype[Symbol.split] and Array.prototype[0] were redefined', async () => {
    const sandbox = kit.make(host.observe({ root, policy: false }));
    const defined = await sandbox.import('./define.mjs');
    const hits = defined.hitsSoFar as () => Promise<number>;
    expect(await hits()).toBe(0);
    // Compiled (and registered) now, after the redefinitions.
    const guarded = (await (defined.loadGuarded as () => Promise<Record<string, unknown>>)()) as { total: number };
    expect(guarded.total).toBe(3);
    expect(await hits()).toBe(0);
    // Its frames are formatted with its edits applied: line 11, column 46 of the original source, after the meter's insertions on that line.
    const stack = await (defined.stackOfGuarded as () => Promise<string>)();
    expect(stack).toContain('guarded.mjs:11:46');
    expect(await hits()).toBe(0);
    // The host and the sandbox are alive.
    expect(sandbox.disposed).toBe(false);
    expect(await hits()).toBe(0);
  });
});
