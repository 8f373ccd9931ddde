import { describe, expect, it } from 'vitest';
import { lint, positions } from './helpers.js';

describe('no-builtin-prototype-write', () => {
  const rule = 'no-builtin-prototype-write';
  const count = (source: string) => lint(rule, source).length;

  it('reports the whole assignment target', () => {
    const diagnostics = lint(rule, 'const f = () => 1;\nArray.prototype.last = f;\n');
    expect(positions(diagnostics)).toEqual([[2, 1]]);
    expect(diagnostics[0]).toMatchObject({ endLine: 2, endColumn: 21 });
    expect(diagnostics[0]?.message).toContain('Array.prototype');
  });

  it('covers every write form', () => {
    for (const source of [
      'Object.prototype.x = 1;',
      'Object.prototype.x ||= 1;',
      'Number.prototype.x++;',
      'delete Promise.prototype.then;',
      '[Map.prototype.get] = [f];',
      '({ a: Set.prototype.add = f } = {});',
      'for (Array.prototype.x of list);',
      'Object.defineProperty(Function.prototype, "call", d);',
      'Object.defineProperties(String.prototype, ds);',
      'Reflect.defineProperty(Error.prototype, "message", d);',
      'Object.setPrototypeOf(Array.prototype, null);',
      'globalThis.Promise.prototype.then = f;',
      'Object.getPrototypeOf(async () => {}).then = f;',
    ]) {
      expect(count(source), source).toBe(1);
    }
  });

  it('does not report reads, user classes or shadowed built-ins', () => {
    for (const source of [
      'Array.prototype.slice.call(args);',
      'const has = Object.prototype.hasOwnProperty;',
      'function W() {} W.prototype.render = f;',
      'class P {} P.prototype.x = 1;',
      'Object.freeze(Object.prototype);',
      'const Array = class {}; Array.prototype.x = 1;',
      'function f(Promise) { Promise.prototype.then = g; }',
      'x[Array.prototype.length] = 1;',
      'const { [Object.prototype.k]: v } = o;',
    ]) {
      expect(count(source), source).toBe(0);
    }
  });
});

describe('no-builtin-write', () => {
  const rule = 'no-builtin-write';
  const count = (source: string) => lint(rule, source).length;

  it('reports replacing a built-in static at the target', () => {
    expect(positions(lint(rule, 'const f = 1;\n  JSON.parse = f;\n'))).toEqual([[2, 3]]);
    expect(lint(rule, 'Math.random = f;')[0]?.message).toContain('`Math`');
  });

  it('reports replacing built-ins by name and on globalThis', () => {
    expect(count('Promise = class {};')).toBe(1);
    expect(count('globalThis.Array = X;')).toBe(1);
    expect(count('globalThis["Map"] = X;')).toBe(1);
    expect(count('delete globalThis.Promise;')).toBe(1);
    expect(count('Object.defineProperty(globalThis, "JSON", d);')).toBe(1);
    expect(count('Object.assign(Math, { max: f });')).toBe(1);
  });

  it("counts the realm's web globals among the built-ins: replacing one, or one of their statics, is reported", () => {
    for (const source of [
      'crypto.getRandomValues = f;',
      'globalThis.crypto = polyfill;',
      'atob = f;',
      'performance.now = () => 0;',
      'delete globalThis.structuredClone;',
      'URL.canParse = f;',
      'DOMException.ABORT_ERR = 1;',
    ]) {
      expect(count(source), source).toBe(1);
    }
    expect(count('const u = new URL(s); const id = crypto.randomUUID(); const t = performance.now();')).toBe(0);
  });

  it('leaves other globals, reads, prototypes and stack hooks to others', () => {
    for (const source of [
      'globalThis.myPlugin = api;',
      'const p = JSON.parse("1");',
      'Array.prototype.x = 1;',
      'Error.stackTraceLimit = 1;',
      'Error.prepareStackTrace = f;',
      'let JSON = {}; JSON.parse = f;',
      'function g(Math) { Math.random = f; }',
      'const m = new Map(); m.x = 1;',
    ]) {
      expect(count(source), source).toBe(0);
    }
  });
});
