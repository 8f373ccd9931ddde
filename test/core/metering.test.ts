/**
 * Metering (transform/meter.ts, run/realm-source/meter.ts): with `metering` on (the default),
 * calls, timer callbacks and drains run without Node's watchdog, and the metered code's own clock
 * stops every form of repetition: each loop kind, recursion, callbacks, accessors, class fields
 * and static blocks, microtask loops, nested turns. Exhaustion is sticky through catch and
 * finally; the budget is out of user code's reach; stack columns are the user's; regular
 * expressions (which check nothing while they backtrack) run under a watchdog of their own; and
 * `metering: false` is the old path. Each stop leaves the host alive and another sandbox working.
 */
import { expect, it } from 'vitest';
import { DisposedError, SandboxError, TimeoutError } from '../../src/index.js';
import type { Sandbox, SandboxOptions } from '../../src/index.js';
import { describeEach, fixtures, rejection } from '../helpers/sandbox.js';
import { loadParser, parseModule } from '../../src/analyze/parse.js';
import { guardCatches } from '../../src/transform/guard.js';
import { meterInsertions } from '../../src/transform/meter.js';

// The load step loads acorn at its first miss; these tests parse directly.
await loadParser();

const root = fixtures('metering');
const TIMEOUT = 100;
/** Far below "hung" (the test timeout), above the timeout plus a worker's start on a busy machine. */
const BOUND = { context: 2_000, worker: 5_000, process: 5_000 } as const;
/** Calls that make a metered realm's turns run without a watchdog (run/realm.ts, QUIET_TURNS is 8). */
const QUIET = 10;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
type Fn = (...args: unknown[]) => Promise<unknown>;

describeEach('metering', (kit) => {
  let callBack: (fn: () => unknown) => unknown = () => undefined;
  const modules = { 'host:api': { callBack: (fn: () => unknown) => callBack(fn) } };
  const make = (options: SandboxOptions = {}) => kit.make({ root, policy: false, timeout: TIMEOUT, deadline: 5_000, modules, ...options });
  const load = async (options: SandboxOptions = {}) => {
    const sandbox = make(options);
    return { sandbox, ns: (await sandbox.import('./forms.mjs')) as Record<string, Fn> };
  };

  /**
   * @param quiet calls without a regexp first: past 8, a metered realm's turns run without a
   *   watchdog (run/realm.ts, QUIET_TURNS), so what stops `name` is the meter.
   */
  async function expectStopped(name: string, options: SandboxOptions = {}, quiet = QUIET): Promise<Sandbox> {
    const { sandbox, ns } = await load(options);
    for (let i = 0; i < quiet; i++) await ns.ok!();
    const started = performance.now();
    const error = await rejection(ns[name]!());
    expect(error, `${name}: ${String(error)}`).toBeInstanceOf(TimeoutError);
    expect(performance.now() - started).toBeLessThan(BOUND[kit.isolation]);
    expect(sandbox.disposed).toBe(true);
    await expect(ns.ok!()).rejects.toBeInstanceOf(DisposedError);
    const other = await load();
    expect(await other.ns.ok!()).toBe('alive');
    return sandbox;
  }

  async function expectStoppedLater(name: string): Promise<void> {
    const errors: Error[] = [];
    const { sandbox, ns } = await load({ onError: (error) => errors.push(error) });
    for (let i = 0; i < QUIET; i++) await ns.ok!();
    const value = await ns[name]!().catch((error: unknown) => error);
    if (value instanceof Error) expect(value).toBeInstanceOf(TimeoutError);
    const until = Date.now() + BOUND[kit.isolation];
    while (!sandbox.disposed && Date.now() < until) await sleep(10);
    expect(sandbox.disposed, `${name} left the sandbox alive`).toBe(true);
    expect(await (await load()).ns.ok!()).toBe('alive');
  }

  for (const name of ['forLoop', 'whileLoop', 'doWhile', 'forOf', 'forIn', 'forAwait', 'labelledContinue', 'generator']) {
    it(`a ${name} that never ends: TimeoutError`, () => expectStopped(name));
  }
  for (const name of ['recursion', 'callbacks', 'callbacksOnly', 'accessors', 'classField', 'staticBlock']) {
    it(`repetition through ${name} (function entries only): TimeoutError`, () => expectStopped(name));
  }
  it('a loop in a sandbox callback the host calls back into (a nested turn): TimeoutError', async () => {
    const { sandbox, ns } = await load();
    for (let i = 0; i < QUIET; i++) await ns.ok!();
    let inner: unknown;
    callBack = (fn) => {
      inner = (fn as () => unknown)();
      return 'answered';
    };
    // In `process` isolation the callback runs after the host function returned (README), in a turn of its own.
    const outcome = await ns.nested!().catch((error: unknown) => error);
    if (kit.isolation !== 'process') expect(outcome).toBeInstanceOf(TimeoutError);
    const until = Date.now() + BOUND[kit.isolation];
    while (!sandbox.disposed && Date.now() < until) await sleep(10);
    expect(sandbox.disposed).toBe(true);
    // The host function's own call of the callback failed with the sandbox's death too.
    if (kit.isolation === 'context') expect(await rejection(inner as Promise<unknown>)).toBeInstanceOf(TimeoutError);
  });
  it('a promise-microtask loop left behind by a call is stopped', () => expectStoppedLater('microtasks'));
  it('a queueMicrotask loop left behind by a call is stopped', () => expectStoppedLater('queued'));
  it('a loop in a timer callback is stopped', () => expectStoppedLater('afterTimer'));

  for (const name of ['caught', 'caughtInLoop', 'finallyLoops', 'finallyReturns', 'finallyContinues', 'promiseCatch', 'asyncCatch']) {
    it(`exhaustion is sticky: ${name} gets nowhere`, () => expectStopped(name));
  }

  it('the budget is out of reach: the refill global is locked, the counter is no global, and the meter still holds', async () => {
    const { ns } = await load();
    expect(await ns.reach!()).toEqual({
      writable: false,
      configurable: false,
      assigned: 'refused',
      redefined: 'refused',
      refill: 'number',
      counter: 'undefined',
    });
    await expectStopped('loopAfterReach');
  });

  it('user code may neither declare nor name the counter or the refill', async () => {
    const sandbox = make();
    for (const source of [
      'let __esmSandboxTicks = 1e9; export default 1',
      'export default () => __esmSandboxRefill',
      'var __esmSandboxRefill; export default 1',
    ]) {
      const error = await rejection(sandbox.evaluate(source));
      expect(error.name, source).toBe('SandboxSyntaxError');
      expect(String(error.message)).toMatch(/reserved/);
    }
  });

  it("ReDoS in a realm's first turns (under a watchdog each): stopped", () => expectStopped('regexBacktracks', {}, 0));
  it('ReDoS in a turn without a watchdog: stopped by the watchdog the regexp runs under', () => expectStopped('regexBacktracks'));
  it('ReDoS inside split (the engine entered through Symbol.split), in a turn without a watchdog: stopped', () =>
    expectStopped('regexBacktracksInSplit'));
  it('ReDoS after the sandbox went back to watchdog turns (many regexp runs in one turn): stopped', async () => {
    const { ns } = await load();
    for (let i = 0; i < QUIET; i++) await ns.ok!();
    expect(await ns.regexWork!(20)).toBe(20 * 5);
    for (let i = 0; i < 3; i++) expect(await ns.regexWork!(3)).toBe(3 * 5);
    const error = await rejection(ns.regexBacktracks!());
    expect(error).toBeInstanceOf(TimeoutError);
  });
  it('regexp methods are locked in a metered realm and left alone with metering: false', async () => {
    expect(await (await load()).ns.regexLocked!()).toBe(false);
    expect(await (await load({ metering: false })).ns.regexLocked!()).toBe(true);
  });

  it('metering: false keeps the watchdog: loops, sticky catches and ReDoS still end in TimeoutError', async () => {
    for (const name of ['whileLoop', 'caught', 'regexBacktracks']) await expectStopped(name, { metering: false });
  });

  it('a metered module with no repetition still works, and results are unchanged', async () => {
    const { ns } = await load();
    const unmetered = await load({ metering: false });
    expect(await ns.regexWork!(2)).toBe(10);
    expect(await unmetered.ns.regexWork!(2)).toBe(10);
    expect(await ns.ok!()).toBe('alive');
  });

  it("Function.prototype.toString gives the user's text, without the checks", async () => {
    const sandbox = make();
    const source = [
      'function a(x) { for (;;) if (x) return x; }',
      'const b = (x) => x + 1',
      'const c = async function* () { while (0); }',
      'class D { f = 1; static { void 0 } m() { do x(); while (0) } get g() { return () => ({ y: 1 }); } }',
      'const e = { n() { for (const k in {}) { } } }',
    ];
    const ns = await sandbox.evaluate(
      `${source.join('\n')}\nexport const texts = [a, b, c, D, e.n].map(String);\nexport const native = String(Function.prototype.toString);`,
    );
    expect(ns.texts).toEqual([
      'function a(x) { for (;;) if (x) return x; }',
      '(x) => x + 1',
      'async function* () { while (0); }',
      source[3],
      'n() { for (const k in {}) { } }',
    ]);
    expect(ns.native).toBe('function toString() { [native code] }');
  });

  it("stack traces keep the user's columns, metered or not", async () => {
    const frames = async (metering: boolean) => {
      const sandbox = make({ metering, timeout: 1_000 });
      const ns = (await sandbox.import('./stacks.mjs')) as Record<string, Fn>;
      const stacks: string[] = [];
      for (const run of [() => ns.arrow!(1), () => ns.inLoop!(5), () => ns.field!(), async () => ((await ns.nestedArrows!(1)) as Fn)(2)]) {
        const error = await rejection<SandboxError>(run());
        stacks.push(
          String(error.stack)
            .split('\n')
            .filter((line) => line.includes('stacks.mjs'))
            .join('\n'),
        );
      }
      return stacks;
    };
    const metered = await frames(true);
    expect(metered).toEqual(await frames(false));
    // Every line below has a check (or two) inserted before these columns.
    expect(metered[0]).toContain('at fail (file://');
    expect(metered[0]).toContain('stacks.mjs:1:29)\n');
    expect(metered[0]).toContain('at arrow (file://');
    expect(metered[0]).toContain('stacks.mjs:2:33)');
    expect(metered[1]).toContain('stacks.mjs:3:72)');
    expect(metered[2]).toContain('stacks.mjs:4:21)');
    expect(metered[2]).toContain('stacks.mjs:5:36)');
    expect(metered[3]).toContain('stacks.mjs:6:78\n');
    expect(metered[3]).toContain('stacks.mjs:6:68');
  });
});

describeEach(
  'metering: the transform',
  () => {
    const metered = (source: string) => guardCatches(source, parseModule(source), meterInsertions(source, parseModule(source))).code;
    const checks = (code: string) => code.split('__esmSandboxRefill()').length - 1;

    it('puts one check in every loop body and every function, accessor, field and static block', () => {
      const cases: [string, number][] = [
        ['for (;;) x();', 1],
        ['while (a) { b(); }', 1],
        ['do x(); while (a)', 1],
        ['for (const k in o);', 1],
        ['for (const v of o) {}', 1],
        ['for await (const v of o) {}', 1],
        ['function f() {}', 1],
        ['const f = () => 1;', 1],
        ['const o = { m() {}, get g() { return 1; }, set s(v) {} };', 3],
        ['class A { x = 1; static { y(); } constructor() {} }', 3],
        ['async function* g() { yield 1; }', 1],
        ['export default 1 + 1;', 0],
      ];
      for (const [source, n] of cases) {
        const code = metered(source);
        expect(checks(code), source).toBe(n);
        expect(() => parseModule(code), code).not.toThrow();
      }
    });

    it('never adds lines, and keeps what the code means where it wraps (ASI, object-literal arrows, hashbang)', () => {
      const source = '#!/usr/bin/env node\nwhile (a) b()\nc()\nconst f = () => ({ a: 1 }), g = (x) => (x, 2)\nclass A { static { go() } }';
      const code = metered(source);
      expect(code.split('\n').length).toBe(source.split('\n').length);
      expect(code.startsWith('#!/usr/bin/env node\nvar __esmSandboxTicks;')).toBe(true);
      expect(() => parseModule(code)).not.toThrow();
    });
  },
  ['context'],
);
