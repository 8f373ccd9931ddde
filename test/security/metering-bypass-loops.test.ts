/**
 * Metering-bypass catalogue (issue #14), part 2 of 3: language forms. Every loop form (empty
 * bodies and single statements without braces included, where an injected check has no block to
 * go in), recursion that never overflows (direct, mutual, through call/apply/bind/Reflect.apply,
 * a Y combinator), a stack overflow swallowed and retried, catch and finally that try to keep
 * going, and code that tries to reach, shadow or reset what bounds the turn. Each ends in
 * TimeoutError near `timeout` (or is refused before it runs), and the host serves on.
 *
 * Already covered elsewhere, not repeated: `for (;;) {}` in a call (loops.test.ts `sync`); deep
 * recursion without a catch, a RangeError of the sandbox (loops.test.ts); reserved names declared
 * or referenced, Unicode escapes included (catch-guard.test.ts); Function constructors reached by
 * every chain refusing code (constructor-chain.test.ts).
 */
import { expect, it } from 'vitest';
import { PolicyError, SandboxSyntaxError } from '../../src/index.js';
import { describeEach } from '../helpers/sandbox.js';
import { meteringKit } from './metering-support.js';
import { rejection } from './support.js';

const file = './metering-loops.mjs';

describeEach('security: metering bypasses by language form', (kit) => {
  const m = meteringKit(kit);
  const timesOut = (name: string) => () => m.expectTimeout(file, name);

  it('for with an empty statement body: TimeoutError', timesOut('forEmpty'));
  it('while (true); : TimeoutError', timesOut('whileEmpty'));
  it('while with a single-statement body without braces: TimeoutError', timesOut('whileSingle'));
  it('do {} while (true): TimeoutError', timesOut('doBlock'));
  it('do with a single-statement body without braces: TimeoutError', timesOut('doSingle'));
  it('labelled continue to an outer for: TimeoutError', timesOut('labelledContinue'));
  it('labelled continue in a while: TimeoutError', timesOut('labelledWhileContinue'));
  it('for-in over a Proxy whose traps answer 1000 keys, forever: TimeoutError', timesOut('forInProxyTrap'));
  it('for-in over a Proxy whose ownKeys trap loops: TimeoutError', timesOut('forInLoopingTrap'));
  it('for-in over a 100000-level prototype chain, forever: TimeoutError', timesOut('forInHuge'));
  it('for-of over an infinite generator: TimeoutError', timesOut('forOfGenerator'));
  it('for-of over an infinite iterator (no loop in user code but the for-of): TimeoutError', timesOut('forOfIterator'));
  it('new Set(infinite iterator): a builtin drives the iterator, no loop in user code: TimeoutError', timesOut('setFromIterator'));
  it('for await over an infinite async iterator (microtasks of one turn): TimeoutError', timesOut('forAwaitAsyncIterator'));
  it('for await over an infinite sync iterator: TimeoutError', timesOut('forAwaitSyncIterator'));

  it('direct recursion with 2^60 calls, never deep enough to overflow: TimeoutError', timesOut('direct'));
  it('mutual recursion with exponential branching: TimeoutError', timesOut('mutual'));
  it('recursion through call, apply, bind and Reflect.apply: TimeoutError', timesOut('callApplyBind'));
  it('a Y combinator with exponential branching, (g => g(g))(...): TimeoutError', timesOut('yCombinator'));
  it('a stack overflow swallowed by catch and retried from the catch (no loop anywhere): TimeoutError', timesOut('overflowRetried'));
  it('a stack overflow swallowed and retried in a loop: TimeoutError', timesOut('overflowRetriedInLoop'));

  it('try { loop } catch { loop again }: TimeoutError', timesOut('catchLoopsAgain'));
  it('try { loop } finally { loop }: TimeoutError', timesOut('finallyLoops'));
  it('return from try, then loop in finally: TimeoutError', timesOut('finallyAfterReturn'));
  it('nested try/finally/catch around a loop, inside a loop: TimeoutError', timesOut('nestedSwallow'));
  it('an async function that catches and loops again after an await: TimeoutError', timesOut('asyncCatches'));
  it('a .catch handler that loops: TimeoutError', timesOut('promiseCatchLoops'));

  it(
    'every own property of globalThis, by computed name, called, overwritten and deleted; then a loop: TimeoutError',
    timesOut('everyGlobal'),
  );
  it(
    'reserved-prefix globals reached by computed names (and guessed counter names) overwritten; then a loop: TimeoutError',
    timesOut('reservedByComputedName'),
  );
  it('eval, indirect eval, Function and AsyncFunction refuse code (EvalError); then a loop: TimeoutError', timesOut('codeGeneration'));
  it('Date.now, performance.now, Date and performance replaced; then a loop: TimeoutError', timesOut('clocks'));
  it('Function.prototype.call/apply/bind and Reflect.apply overridden; then a loop: TimeoutError', timesOut('callApplyOverridden'));
  it('a Symbol.species getter that loops, read by Array.prototype.map: TimeoutError', timesOut('speciesArray'));
  it('a Symbol.species Promise whose executor loops, built by then: TimeoutError', timesOut('speciesPromise'));

  it('a reserved-prefix name declared to shadow the counter is refused before anything runs (SandboxSyntaxError)', async () => {
    for (const source of [
      'let __esmSandboxBudget = Infinity; for (;;); export default 1',
      'const { __esmSandboxTurn } = globalThis; for (;;);',
    ]) {
      const error = m.seen(await rejection(m.make().evaluate(source)));
      expect(error, source).toBeInstanceOf(SandboxSyntaxError);
      expect(String(error.message)).toMatch(/reserved for esm-sandbox/);
    }
  });

  it('with (a scope object to intercept the counter) is a syntax error in a module, refused before it runs', async () => {
    const error = m.seen(await rejection(m.make().evaluate('with ({ __budget: Infinity }) { for (;;); }')));
    expect(error).toBeInstanceOf(SandboxSyntaxError);
    expect(String(error.message)).toMatch(/'with' in strict mode/);
  });

  it('with the policy on, a reserved global read by name is a PolicyError before anything runs', async () => {
    const sandbox = kit.make({ timeout: 150 });
    const error = m.seen(await rejection(sandbox.evaluate('globalThis.__esmSandboxTurn = null; for (;;);')));
    expect(error).toBeInstanceOf(PolicyError);
  });
});
