import { describe, expect, it } from 'vitest';
import { lint, positions } from './helpers.js';

const rule = 'no-proto-access';
const count = (source: string) => lint(rule, source).length;

describe(rule, () => {
  it('reports member access at the property', () => {
    expect(positions(lint(rule, 'const p = {};\nconst q = p.__proto__;\n'))).toEqual([[2, 13]]);
    expect(positions(lint(rule, 'obj["__proto__"].x = 1;'))).toEqual([[1, 5]]);
    expect(count("obj[['__proto__']].x = 1;")).toBe(1);
  });

  it('reports the legacy accessor family', () => {
    for (const name of ['__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']) {
      expect(count(`Object.prototype.${name}('x', f);`), name).toBe(1);
    }
  });

  it('reports the object-literal prototype setter but not `__proto__: null`', () => {
    expect(positions(lint(rule, 'const o = { a: 1, __proto__: base };'))).toEqual([[1, 19]]);
    expect(count('const o = { "__proto__": base };')).toBe(1);
    expect(count('const dictionary = { __proto__: null };')).toBe(0);
  });

  it('does not report object keys that define plain own properties', () => {
    expect(count('const o = { ["__proto__"]: base };')).toBe(0);
    expect(count('const __proto__ = 1; const o = { __proto__ };')).toBe(0);
    expect(count('const o = { __proto__() {} };')).toBe(0);
    expect(count('const o = { get __proto__() { return 1; } };')).toBe(0);
  });

  it('reports destructuring and reflective access', () => {
    expect(count('const { __proto__: p } = o;')).toBe(1);
    expect(count('Reflect.get(o, "__proto__");')).toBe(1);
    expect(count('Object.getOwnPropertyDescriptor(Object.prototype, "__proto__");')).toBe(1);
  });

  it('ignores strings, comments and look-alike names', () => {
    expect(count('const s = "o.__proto__"; // o.__proto__ = x')).toBe(0);
    expect(count('if (key === "__proto__") skip();')).toBe(0);
    expect(count('o.__proto = 1; o.proto__ = 2; o._proto_ = 3;')).toBe(0);
  });
});

describe('no-proto-access: delete', () => {
  it('does not report `delete o.__proto__`, which can only remove an own property of o', () => {
    expect(lint('no-proto-access', 'if (Object.hasOwn(o, "__proto__")) delete o.__proto__; delete o["__proto__"];')).toEqual([]);
  });

  it('reports what a delete reads on the way, and the other accessors', () => {
    expect(lint('no-proto-access', 'delete o.__proto__.polluted; delete o.__lookupGetter__;')).toHaveLength(2);
  });
});

describe('no-proto-access: Sub.__proto__ = Base', () => {
  it("does not report setting a named object's own prototype (as Object.setPrototypeOf does, unreported)", () => {
    expect(lint('no-proto-access', 'function Sub() {} if (Base) Sub.__proto__ = Base;')).toEqual([]);
  });

  it('reports it on built-ins, globalThis, member chains, and with compound operators', () => {
    expect(lint('no-proto-access', 'Array.__proto__ = x; globalThis.__proto__ = x; a.b.__proto__ = x; a.__proto__ ||= x;')).toHaveLength(4);
  });
});
