import { describe, expect, it, vi } from 'vitest';
import { compileExpression, EsmSandboxError, ExpressionRefusedError, ExpressionSyntaxError } from '../../src/index.js';

const scope = {
  user: { age: 30, name: 'ada', tags: ['a', 'b'] },
  items: [
    { price: 5, name: 'pen' },
    { price: 20, name: 'ink' },
    { price: 30, name: 'pad' },
  ],
  a: null,
  b: 'fallback',
  n: 7,
  s: 'Hello',
  k: 'age',
};

describe('the grammar accepts JavaScript expression syntax', () => {
  const cases: Array<[string, unknown]> = [
    ['user.age * 2 + items.length > 10 ? user.name.toUpperCase() : "n/a"', 'ADA'],
    ['user.name', 'ada'],
    ['user.name.toUpperCase()', 'ADA'],
    ['items.filter(i => i.price > 10).length', 2],
    ['a ?? b', 'fallback'],
    ['`${user.name} is ${user.age}`', 'ada is 30'],
    ['(n + 3) * 2 - n / 7 % 3 ** 2', 19],
    ['user?.name', 'ada'],
    ['a?.b.c.d', undefined],
    ['(user?.tags).length', 2],
    ['items?.[2]?.name', 'pad'],
    ['user[k]', 30],
    ['user["name"]', 'ada'],
    ['items[1].name', 'ink'],
    ['user.tags.includes("b") && !user.tags.includes("z")', true],
    ['items.map(i => i.price).reduce((sum, p) => sum + p, 0)', 55],
    ['items.some(i => i.price > 25) || items.every(i => i.price > 1)', true],
    ['items.find(i => i.name === "ink").price', 20],
    ['items.flatMap(i => [i.price, i.price]).length', 6],
    ['items.map(i => i.name).sort().join(",")', 'ink,pad,pen'],
    ['items.map(i => i.price).sort((x, y) => y - x)', [30, 20, 5]],
    ['Math.max(...[1])'.replace('...[1]', '1, n, 3'), 7],
    ['Math.round(Math.PI * 100) / 100', 3.14],
    ['Number("42") + parseInt("8", 10)', 50],
    ['String(n).padStart(3, "0")', '007'],
    ['s.slice(1, 3) + s.at(-1)', 'elo'],
    ['s.split("l").length', 3],
    ['/^h\\w+o$/i.test(s)', true],
    ['s.replace(/l+/, "L")', 'HeLo'],
    ['({ total: n * 2, list: [n, s] })', { total: 14, list: [7, 'Hello'] }],
    ['typeof user === "object" && typeof missing === "undefined"', true],
    ['n == 7 && a == null && n != "8"', true],
    ['Object.keys(user).join()', 'age,name,tags'],
    ['Array.from({ length: 3 }, (x, i) => i * i)', [0, 1, 4]],
    ['Array.isArray(items) ? items.length : -1', 3],
    ['n > 5 ? "big" : n > 2 ? "mid" : "small"', 'big'],
    ['(1.005).toFixed(2) + "|" + (255).toString(16)', '1.00|ff'],
    ['10n ** 3n', 1000n],
  ];
  it.each(cases)('%s', (source, expected) => {
    expect(compileExpression(source)(scope)).toEqual(expected);
  });

  it('results built by the expression are host arrays and objects', () => {
    const value = compileExpression('[{ a: [1] }]')() as unknown[];
    expect(Array.isArray(value) && value instanceof Array).toBe(true);
    expect(Object.getPrototypeOf(value[0])).toBe(Object.prototype);
  });

  it('reports the free names it reads', () => {
    const expr = compileExpression('items.filter(i => i.price > min).map(i => i.name).concat(extra)');
    expect([...expr.identifiers].sort()).toEqual(['extra', 'items', 'min']);
    expect(expr.source).toContain('items.filter');
  });

  it('calls host functions by name', () => {
    const currency = (value: number) => `$${value.toFixed(2)}`;
    expect(compileExpression('currency(items[0].price)', { functions: { currency } })(scope)).toBe('$5.00');
  });

  it('compiles an identical source with the same options once', () => {
    const first = compileExpression('user.age + 1');
    const second = compileExpression('user.age + 1');
    expect(first).not.toBe(second);
    expect(second(scope)).toBe(31);
  });
});

describe('the grammar refuses everything else, with the position', () => {
  const cases: Array<[string, string, number]> = [
    ['a = 1', 'assignment', 0],
    ['x + (y += 1)', 'assignment', 5],
    ['n++', '`++`', 0],
    ['new Date()', '`new`', 0],
    ['this.x', '`this`', 0],
    ['delete user.name', '`delete`', 0],
    ['tag`x`', 'tagged templates', 0],
    ['user.__proto__', '"__proto__"', 5],
    ['user.constructor', '"constructor"', 5],
    ['user["constructor"]', '"constructor"', 5],
    ['user.name.constructor.constructor("return process")()', 'only methods', 0],
    ['user.name.constructor.constructor("return process")', '"constructor"', 22],
    ['user.name.toString.constructor("return process")', '"constructor"', 19],
    ['constructor', '"constructor"', 0],
    ['({ __proto__: x })', '"__proto__"', 3],
    ['process.env', 'unknown global', 0],
    ['globalThis', 'unknown global', 0],
    ['Function("x")', 'unknown global', 0],
    ['eval("1")', 'unknown global', 0],
    ['a, b', 'comma operator', 0],
    ['function () { return 1 }', 'function expressions', 0],
    ['(x => x)(1)', 'only methods', 0],
    ['items.map(f)', 'arrow function written in the expression', 10],
    ['[...items]', 'spread', 1],
    ['({ ...user })', 'spread', 3],
    ['Math', 'can only be called', 0],
    ['Math.random()', 'not part of the standard library', 0],
    ['user.name.bold()', 'not an allowed method', 10],
    ['user[k]()', 'only methods', 0],
    ['"a" in user', '`in`', 0],
    ['user instanceof Object', '`instanceof`', 0],
    ['/(a+)+$/.test(s)', 'quantified group', 0],
    ['/(a)\\1/.test(s)', 'backreferences', 0],
    ['/a(?=b)/.test(s)', 'lookahead', 0],
    ['items.map(x => { return x })', 'plain', 10],
    ['items.map(async x => x)', 'plain', 10],
    ['items.map(({ a }) => a)', 'plain names', 11],
    ['f?.()', 'optional call', 0],
    ['import("fs")', '`import()`', 0],
    ['class {}', 'classes', 0],
  ];
  it.each(cases)('%s', (source, reason, start) => {
    let caught: unknown;
    try {
      compileExpression(source);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ExpressionRefusedError);
    const error = caught as ExpressionRefusedError;
    expect(error).toBeInstanceOf(EsmSandboxError);
    expect(error.code).toBe('ERR_SANDBOX_EXPRESSION_REFUSED');
    expect(error.message).toContain(reason);
    expect(error.start).toBe(start);
    expect(error.line).toBe(1);
    expect(error.column).toBe(start + 1);
    expect(error.frame).toContain('^');
  });

  it('syntax errors carry the position and a frame', () => {
    let caught: unknown;
    try {
      compileExpression('user.name +\n  * 2');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ExpressionSyntaxError);
    const error = caught as ExpressionSyntaxError;
    expect(error.code).toBe('ERR_SANDBOX_EXPRESSION_SYNTAX');
    expect([error.line, error.column, error.start]).toEqual([2, 3, 14]);
    expect(error.frame).toContain('> 2 |   * 2');
  });

  it('the refused globals are a fixed list, not whatever the host app put on globalThis', async () => {
    const host = globalThis as Record<string, unknown>;
    host.appSettings = { secret: 1 };
    try {
      // A fresh copy of the engine, loaded while the host global exists.
      vi.resetModules();
      const fresh = await import('../../src/expression/compile.js');
      expect(fresh.compileExpression('appSettings')({ appSettings: 'from the scope' })).toBe('from the scope');
    } finally {
      delete host.appSettings;
    }
    expect(() => compileExpression('structuredClone')).toThrow(ExpressionRefusedError);
  });

  it('refuses trailing text', () => {
    expect(() => compileExpression('a b')).toThrow(ExpressionSyntaxError);
  });
});
