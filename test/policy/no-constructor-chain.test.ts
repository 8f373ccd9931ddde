import { describe, expect, it } from 'vitest';
import { lint, positions } from './helpers.js';

const rule = 'no-constructor-chain';
const count = (source: string) => lint(rule, source).length;

describe(rule, () => {
  it('locates `.constructor.constructor` at the outer property', () => {
    const diagnostics = lint(rule, 'const f = () => 1;\nf.constructor.constructor("return this")();\n');
    expect(positions(diagnostics)).toEqual([[2, 15]]);
    expect(diagnostics[0]).toMatchObject({ endLine: 2, endColumn: 26, severity: 'error' });
    expect(diagnostics[0]?.message).toMatch(/Function constructor/);
  });

  it('reports each spelling of the chain once', () => {
    for (const source of [
      "x['constructor']['constructor']",
      'x?.constructor.constructor',
      'x.constructor?.["constructor"]',
      "x[`constructor`]['constr' + 'uctor']",
      '[].fill.constructor.constructor',
      '(x.constructor).constructor',
      '(0, x.constructor).constructor',
      '(0, [].fill.constructor).constructor',
      '(ok ? a : x.constructor).constructor',
      '(a || x.constructor).constructor',
    ]) {
      expect(count(source), source).toBe(1);
    }
  });

  it('reports constructors reached from function literals and call or member results', () => {
    expect(positions(lint(rule, 'const A = (async () => {}).constructor;'))).toEqual([[1, 28]]);
    expect(count('(function* () {}).constructor;')).toBe(1);
    expect(count('(class {}).constructor;')).toBe(1);
    expect(count('const G = Object.getPrototypeOf(async function* () {}).constructor;')).toBe(1);
    expect(count('[].fill.constructor("return 1")();')).toBe(1);
    expect(count('new a.b.constructor("x");')).toBe(1);
    expect(count('use(a.b.constructor);')).toBe(1);
  });

  it('reports calling `.constructor` without `new`, also indirectly', () => {
    expect(count('fn.constructor("return process")();')).toBe(1);
    expect(count('(0, fn.constructor)("code");')).toBe(1);
    expect(count('(ok ? fn.constructor : other)("code");')).toBe(1);
    expect(count('(fn.constructor || other)("code");')).toBe(1);
    expect(count('fn?.constructor("code");')).toBe(1);
    expect(count('fn.constructor.call(null, "code");')).toBe(1);
    expect(count('fn.constructor.apply(null, ["code"]);')).toBe(1);
    expect(count('const F = fn.constructor.bind(null);')).toBe(1);
    expect(count('fn.constructor`return process`;')).toBe(1);
  });

  it('sees through keys that only look computed', () => {
    expect(count("x[['constructor']][['constructor']];")).toBe(1);
    expect(count("x[`${'constr'}uctor`].constructor;")).toBe(1);
    expect(count('x[`${name}`].constructor === Y;')).toBe(0);
  });

  it('reports destructuring and reflective reads of `constructor`', () => {
    expect(positions(lint(rule, 'const { constructor: C } = fn;'))).toEqual([[1, 9]]);
    expect(count('function f({ constructor }) {}')).toBe(1);
    expect(count('({ constructor: out.c } = fn);')).toBe(1);
    expect(count('Reflect.get(fn, "constructor");')).toBe(1);
  });

  it('leaves class constructors, object keys and the usual class idioms alone', () => {
    for (const source of [
      'class A { constructor() { this.x = 1; } }',
      'class B extends A { constructor() { super(); } }',
      'const o = { constructor: 1, "constructor": 2, ["constructor"]: 3 };',
      'const m = { constructor() {} };',
      'class C { clone() { return new this.constructor(); } name() { return this.constructor.name; } }',
      'const same = value.constructor === Object;',
      'const different = a.b.constructor !== Array;',
      'const isA = x instanceof y.z.constructor;',
      'const n = Object.getPrototypeOf(v).constructor.name;',
      'const t = typeof a.b.constructor;',
      'if (a.b.constructor && a.b.constructor.name) log();',
      'const missing = !a.b.constructor;',
      'const kind = a.b.constructor ? 1 : 0;',
      'const copy = new value.constructor();',
      'const s = "x.constructor.constructor";',
      '// x.constructor.constructor',
      'function f(constructor) { return constructor; }',
      'const { constructorName } = info;',
    ]) {
      expect(count(source), source).toBe(0);
    }
  });

  it('ignores a Reflect that is a local', () => {
    expect(count('const Reflect = { get() {} }; Reflect.get(fn, "constructor");')).toBe(0);
  });
});

describe('no-constructor-chain: what the realm makes harmless', () => {
  it('does not report writes of `constructor` (lodash: Ctor.prototype.constructor = Ctor)', () => {
    expect(count('LazyWrapper.prototype.constructor = LazyWrapper; a.b.constructor = B;')).toBe(0);
    expect(count('x.constructor.constructor = f;')).toBe(1);
  });

  it('does not report a direct `.constructor(a, b)` call (preact, immutable), unless an argument spells code', () => {
    expect(count('Component.prototype.render = function (n, l, u) { return this.constructor(n, u); };')).toBe(0);
    expect(count('function f(...a) { return this.constructor(...a); } const r = iter.constructor(seq); c.x.constructor(iters[0]);')).toBe(
      0,
    );
    for (const source of [
      'this.constructor("return process")',
      'this.constructor(`x`)',
      'this.constructor("a" + b)',
      'this.constructor.call(this, x)',
      '(0, this.constructor)(x)',
      'this.constructor`code`',
      'that.constructor("x")',
      '(() => {}).constructor(x)',
      'fn.constructor(...["code"])',
    ]) {
      expect(count(source), source).toBe(1);
    }
  });
});
