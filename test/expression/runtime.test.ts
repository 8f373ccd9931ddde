import { describe, expect, it } from 'vitest';
import {
  BudgetExceededError,
  compileExpression,
  compileTemplate,
  ExpressionRefusedError,
  ExpressionRuntimeError,
  ExpressionSyntaxError,
} from '../../src/index.js';

function failure(run: () => unknown): Error & Record<string, unknown> {
  try {
    run();
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected a failure');
}

describe('runtime errors carry the position of the sub-expression', () => {
  it('a property of undefined', () => {
    const error = failure(() => compileExpression('user.address.city')({ user: {} }));
    expect(error).toBeInstanceOf(ExpressionRuntimeError);
    expect(error.code).toBe('ERR_SANDBOX_EXPRESSION_RUNTIME');
    expect(error.message).toContain('cannot read "city" of undefined');
    expect([error.start, error.end, error.column]).toEqual([13, 17, 14]);
  });

  it('a method on the wrong type', () => {
    const error = failure(() => compileExpression('n.toUpperCase()')({ n: 5 }));
    expect(error).toBeInstanceOf(ExpressionRuntimeError);
    expect(error.start).toBe(2);
  });

  it('a host function that throws keeps its error as the cause', () => {
    const boom = new Error('no rate');
    const error = failure(() =>
      compileExpression('1 + currency(2)', {
        functions: {
          currency: () => {
            throw boom;
          },
        },
      })(),
    );
    expect(error).toBeInstanceOf(ExpressionRuntimeError);
    expect(error.cause).toBe(boom);
    expect(error.message).toContain('no rate');
    expect(error.start).toBe(4);
  });

  it('a result nested thousands deep is an error, not a host stack overflow', () => {
    const error = failure(() => compileExpression('Array.from({ length: 20000 }).reduce(a => [a], 0)')());
    expect(error).toBeInstanceOf(ExpressionRuntimeError);
    expect(error.message).toContain('nested more than 1000 levels');
    expect(compileExpression('Array.from({ length: 500 }).reduce(a => [a], 0)')()).toBeInstanceOf(Array);
  });

  it('an engine error inside a builtin', () => {
    expect(() => compileExpression('(1).toFixed(500)')()).toThrow(ExpressionRuntimeError);
  });
});

describe('the budget', () => {
  it('stops an evaluation over budget at the sub-expression, with its own code', () => {
    const error = failure(() =>
      compileExpression('items.map(x => x * 2)', { budget: 50 })({ items: Array.from({ length: 100 }, (_, i) => i) }),
    );
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error.code).toBe('ERR_SANDBOX_BUDGET');
    expect(error.budget).toBe(50);
    expect(error.start).toBe(6);
  });

  it('charges the arrow body per call', () => {
    const expr = compileExpression('items.filter(i => i > 2).length');
    const small = expr.measure({ items: [1, 2, 3] });
    const large = expr.measure({ items: [1, 2, 3, 4, 5, 6] });
    expect(small.value).toBe(1);
    expect(large.cost).toBeGreaterThan(small.cost);
  });

  it('is deterministic: the same expression and scope cost the same', () => {
    const expr = compileExpression('items.map(i => `${i.name}:${i.price}`).join(", ").length + items.filter(i => i.price > 3).length');
    const scope = { items: Array.from({ length: 50 }, (_, i) => ({ name: `item${i}`, price: i % 7 })) };
    const costs = new Set(Array.from({ length: 20 }, () => expr.measure(scope).cost));
    expect(costs.size).toBe(1);
  });

  it('a nested evaluation inside a host function has its own budget and leaves the outer one intact', () => {
    const inner = compileExpression('xs.map(x => x + 1).length');
    const outer = compileExpression('items.map(i => count()).length', { functions: { count: () => inner({ xs: [1, 2, 3] }) } });
    const first = outer.measure({ items: [1, 2] });
    expect(first.value).toBe(2);
    expect(outer.measure({ items: [1, 2] }).cost).toBe(first.cost);
  });
});

describe('scope data is read, never run', () => {
  it('getters read as undefined and never run', () => {
    let ran = 0;
    const data = {
      get secret() {
        ran++;
        return 'leak';
      },
      plain: 1,
    };
    expect(compileExpression('[secret, plain]')(data)).toEqual([undefined, 1]);
    expect(ran).toBe(0);
  });

  it('inherited properties are not read', () => {
    class User {
      get name() {
        return 'from getter';
      }
      greet() {
        return 'hi';
      }
    }
    expect(compileExpression('user.name')({ user: new User() })).toBeUndefined();
    expect(() => compileExpression('user.greet()')({ user: new User() })).toThrow(ExpressionRefusedError);
  });

  it('a Proxy in the data is refused before any trap runs', () => {
    let traps = 0;
    const handler = new Proxy(
      {},
      {
        get: () => {
          traps++;
          return undefined;
        },
      },
    );
    const user = new Proxy({ name: 'x' }, handler);
    const error = failure(() => compileExpression('user.name')({ user }));
    expect(error).toBeInstanceOf(ExpressionRuntimeError);
    expect(error.message).toContain('Proxy');
    expect(traps).toBe(0);
    expect(() => compileExpression('items.length')({ items: new Proxy([], handler) })).toThrow(ExpressionRuntimeError);
    expect(traps).toBe(0);
  });

  it('a Proxy as the scope itself is refused before any trap runs', () => {
    let traps = 0;
    const scope = new Proxy(
      { a: 1 },
      {
        getOwnPropertyDescriptor: () => {
          traps++;
          return undefined;
        },
        get: () => {
          traps++;
          return 2;
        },
      },
    );
    expect(() => compileExpression('a')(scope)).toThrow(ExpressionRuntimeError);
    expect(traps).toBe(0);
  });

  it('a budget smaller than the static cost fails before anything runs, and leaves an outer budget intact', () => {
    const tiny = compileExpression('a + b + c', { budget: 2 });
    const outer = compileExpression('items.map(i => probe()).length', {
      functions: {
        probe: () => {
          try {
            tiny({});
          } catch {
            /* over budget */
          }
          return 1;
        },
      },
    });
    const first = outer.measure({ items: [1, 2, 3] });
    expect(first.value).toBe(3);
    expect(outer.measure({ items: [1, 2, 3] }).cost).toBe(first.cost);
    expect(() => tiny({})).toThrow(BudgetExceededError);
  });

  it('coercion hooks never run: operators, templates, methods and keys refuse objects', () => {
    let ran = 0;
    const hook = {
      toString() {
        ran++;
        return 'x';
      },
      valueOf() {
        ran++;
        return 1;
      },
      [Symbol.toPrimitive]() {
        ran++;
        return 1;
      },
    };
    for (const source of [
      'o + 1',
      '`${o}`',
      'o * 2',
      'o < 1',
      'o == 1',
      '-o',
      '"abc".includes(o)',
      '"a".repeat(o)',
      'Math.max(o)',
      'x[o]',
      '[o].join()',
      'String(o)',
      '[o, 1].sort()',
    ]) {
      expect(() => compileExpression(source)({ o: hook, x: {} }), source).toThrow(ExpressionRuntimeError);
    }
    expect(ran).toBe(0);
  });
});

describe('compileTemplate', () => {
  it('interpolates and escapes HTML by default', () => {
    const render = compileTemplate('<p>{{ user.name }} has {{ items.length }} items</p>{{ missing }}');
    expect(render({ user: { name: '<b>&"\'' }, items: [1, 2] })).toBe('<p>&lt;b&gt;&amp;&quot;&#39; has 2 items</p>');
    expect(render.identifiers).toEqual(['user', 'items', 'missing']);
  });

  it('escape false and a function', () => {
    expect(compileTemplate('{{ x }}', { escape: false })({ x: '<i>' })).toBe('<i>');
    expect(compileTemplate('[{{ x }}]', { escape: (s) => s.toUpperCase() })({ x: 'ab' })).toBe('[AB]');
  });

  it('an object literal inside an interpolation', () => {
    expect(compileTemplate('{{ ({ a: { b: 1 } }).a.b }}!')()).toBe('1!');
  });

  it('errors point into the template text', () => {
    const syntax = failure(() => compileTemplate('line one\n  {{ user. }}'));
    expect(syntax).toBeInstanceOf(ExpressionSyntaxError);
    expect(syntax.line).toBe(2);
    const refused = failure(() => compileTemplate('ok\n{{ a }} {{ user.constructor }}'));
    expect(refused).toBeInstanceOf(ExpressionRefusedError);
    expect([refused.line, refused.column, refused.start]).toEqual([2, 17, 19]);
    const runtime = failure(() => compileTemplate('a\nb {{ x.y.z }}')({ x: {} }));
    expect(runtime).toBeInstanceOf(ExpressionRuntimeError);
    expect([runtime.line, runtime.column]).toEqual([2, 10]);
    expect(runtime.frame).toContain('> 2 | b {{ x.y.z }}');
  });

  it('braces inside strings and literals do not end an interpolation', () => {
    expect(compileTemplate('[{{ "}}" + x }}] [{{ `{{${x}}}` }}]')({ x: 'v' })).toBe('[}}v] [{{v}}]');
  });

  it('an unclosed interpolation is a syntax error', () => {
    expect(() => compileTemplate('{{ a ')).toThrow(ExpressionSyntaxError);
  });
});
