/**
 * Boundedness: each attack is refused at compile time, or throws the budget error within 50 ms
 * at the default budget, with RSS growth under 64 MB; oversized sources are refused in < 10 ms
 * without a stack overflow.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BudgetExceededError, compileExpression, ExpressionRefusedError } from '../../../src/index.js';
import { expectHarmless, type Outcome } from './support.js';

const MB = 1024 * 1024;

function timed(source: string, scope: object = {}): { outcome: Outcome; ms: number; rss: number } {
  const rss = process.memoryUsage.rss();
  const started = performance.now();
  const outcome = expectHarmless(source, scope);
  const ms = performance.now() - started;
  return { outcome, ms, rss: process.memoryUsage.rss() - rss };
}

function expectBudget(source: string, scope: object = {}): void {
  // One warm-up compiles the source, so the timed run measures the evaluation (and a cache hit).
  expectHarmless(source, scope);
  // The best of three runs: this 2-core machine is shared, and a GC pause or another process's
  // slice is not the evaluation's time. Each run must still hit the budget.
  const runs = [timed(source, scope), timed(source, scope), timed(source, scope)];
  for (const run of runs) expect(run.outcome.stage, source).toBe('run');
  const ms = Math.min(...runs.map((run) => run.ms));
  const rss = Math.max(...runs.map((run) => run.rss));
  const { outcome } = runs[0]!;
  expect(outcome.stage, source).toBe('run');
  expect((outcome as { error: unknown }).error, source).toBeInstanceOf(BudgetExceededError);
  expect(ms, `${source} took ${ms} ms`).toBeLessThan(50);
  expect(rss, `${source} grew RSS by ${rss / MB} MB`).toBeLessThan(64 * MB);
}

function expectCompileRefusal(source: string): void {
  const { outcome } = timed(source);
  expect(outcome.stage, source).toBe('compile');
}

describe('recursion is impossible', () => {
  it.each([
    '(f => f(f))(f => f(f))',
    '[1].map(f => f(f))',
    '[x => x].map(f => f(1))',
    '[1].map(x => [1].map(y => x(y)))',
    'list.reduce((f, g) => f(g), x => x)',
  ])('a Y combinator or a call of a parameter is refused: %s', expectCompileRefusal);
});

describe('exponential and huge work hits the budget', () => {
  it.each([
    'Array.from({ length: 100 }, a => Array.from({ length: 100 }, b => Array.from({ length: 100 }, c => Array.from({ length: 100 }, d => a + b + c + d))))',
    '[1, 2].flatMap(a => [1, 2].flatMap(b => [1, 2].flatMap(c => [1, 2].flatMap(d => Array.from({ length: 1e5 }, e => e)))))',
    'Array.from({ length: 64 }).reduce(s => s + s, "x")',
    'Array.from({ length: 64 }).reduce(s => s.concat(s), [1])',
    'Array.from({ length: 64 }).reduce(s => [s, s].join(""), "ab")',
    'Array.from({ length: 64 }).reduce(s => `${s}${s}`, "ab")',
    '"x".repeat(2 ** 28)',
    '"x".repeat(Infinity)',
    '"x".padEnd(2 ** 30, "ab")',
    '"x".repeat(1000).replaceAll("", "y".repeat(5000))',
    'Array.from({ length: 2 ** 32 - 1 })',
    'Array.from({ length: 1e7 }, (v, i) => i)',
    'Array.from({ length: 1e6 }).map(x => 1).sort()',
    '2n ** 100000000n',
    '10n ** 10n ** 10n',
    'Array.from({ length: 40 }).reduce(b => b * b, 2n ** 64n)',
    '1n << 10000000000n',
    'String(2n ** 150000n)',
    '`${2n ** 150000n}`',
    '"" + 2n ** 150000n',
    '"x".repeat(10000).replaceAll("", "$\'")',
    '"x".repeat(10000).replace(/x/g, "$`")',
  ])('%s', (source) => expectBudget(source));

  it('ReDoS: catastrophic patterns are refused, polynomial ones are priced before they run', () => {
    for (const source of [
      '/(a+)+$/.test(s)',
      '/(a|a)*b/.test(s)',
      '/(x+x+)+y/.test(s)',
      '/^(\\w+\\s?)*$/.test(s)',
      '/(a*)*b/.test(s)',
      '/a*a*a*a*b/.test(s)',
      '/(?=a)/.test(s)',
    ]) {
      expect(timed(source, { s: 'a'.repeat(30) }).outcome.stage, source).toBe('compile');
    }
    expectBudget('/a*a*a*b/.test(s)', { s: 'a'.repeat(20_000) });
    expectBudget('s.replace(/\\s*x\\s*$/, "")', { s: ' '.repeat(50_000) });
  });
});

describe('the data cannot run code or hang', () => {
  it('coercion hooks and Proxies are never invoked', () => {
    let ran = 0;
    const hook = {
      valueOf() {
        ran++;
        return 2 ** 28;
      },
      toString() {
        ran++;
        return 'x';
      },
    };
    const proxy = new Proxy(
      {},
      new Proxy(
        {},
        {
          get() {
            ran++;
            return () => {
              for (;;);
            };
          },
        },
      ),
    );
    for (const source of ['"x".repeat(n)', 'n * 2', '`${n}`', 'Array.from({ length: n })', 'p.x', 'Object.keys(p)', 'Array.from(p)']) {
      expect(timed(source, { n: hook, p: proxy }).outcome.stage, source).toBe('run');
    }
    expect(timed('[p].flat().length', { p: proxy }).outcome).toEqual({ stage: 'value', value: 1 });
    expect(ran).toBe(0);
  });

  it('a getter that would loop forever is never run', () => {
    const data = Object.defineProperty({}, 'slow', {
      get() {
        for (;;);
      },
      enumerable: true,
    });
    expect(timed('[slow, Object.values(this_ ?? {}).length]'.replace('this_', 'd'), { ...{}, d: data }).outcome.stage).toBe('value');
  });
});

describe('oversized sources are refused in < 10 ms without a stack overflow', () => {
  // The bound is the algorithm's, not the first call's JIT warm-up of the compiler and the error classes.
  beforeAll(() => {
    for (const source of ['x'.repeat(20_000), '('.repeat(100) + ')'.repeat(100)])
      try {
        compileExpression(source);
      } catch {
        /* refused */
      }
  });
  it.each([
    ['a million characters', 'a+'.repeat(500_000) + 'a'],
    ['100,000 levels of parentheses', '('.repeat(100_000) + '1' + ')'.repeat(100_000)],
    ['100,000 levels of arrays', '['.repeat(100_000) + ']'.repeat(100_000)],
    ['100,000 prefix operators', '!'.repeat(100_000) + 'x'],
  ])('%s', (_, source) => {
    // The best of three: a GC pause left by the tests before is not the refusal's time.
    let best = Infinity;
    for (let attempt = 0; attempt < 3; attempt++) {
      const started = performance.now();
      let caught: unknown;
      try {
        compileExpression(source);
      } catch (error) {
        caught = error;
      }
      best = Math.min(best, performance.now() - started);
      expect(caught).toBeInstanceOf(ExpressionRefusedError);
    }
    expect(best).toBeLessThan(10);
  });
});

describe('deep sources within the length limit are refused without a stack overflow', () => {
  it.each([
    ['a nesting within the length limit', '('.repeat(4_000) + '1' + ')'.repeat(4_000)],
    ['prefix operators within the length limit', '-'.repeat(9_000) + '1'],
    ['typeof chains within the length limit', 'typeof '.repeat(1_400) + 'x'],
    ['a long operator chain within the length limit', '1+'.repeat(4_900) + '1'],
    ['nested conditionals within the length limit', 'a?'.repeat(2_400) + 'b' + ':c'.repeat(2_400)],
    ['nested template literals', '`${'.repeat(3_000) + '1' + '}`'.repeat(3_000)],
  ])('%s', (_, source) => {
    // CPU time, not wall-clock: the bound is about the work a refusal does, which other processes
    // on a loaded machine stretch in wall-clock time but do not add to.
    const cpu = process.cpuUsage();
    let caught: unknown;
    try {
      compileExpression(source);
    } catch (error) {
      caught = error;
    }
    const { user, system } = process.cpuUsage(cpu);
    const ms = (user + system) / 1000;
    expect(caught).toBeInstanceOf(ExpressionRefusedError);
    // Not the 10 ms bound: acorn parses these whole before the depth is seen; a cold JIT makes the first slow.
    expect(ms, `${ms} ms of CPU`).toBeLessThan(500);
  });
});
