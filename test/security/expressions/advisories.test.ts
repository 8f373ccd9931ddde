/**
 * The escapes of other expression engines, adapted to this grammar: each is refused at compile
 * time or evaluates harmlessly, with the host's prototypes, globals and canary untouched.
 */
import { describe, expect, it } from 'vitest';
import { CANARY, CANARY_NAME } from '../../helpers/host.js';
import { expectHarmless, expectRefused } from './support.js';

const data = () => ({
  x: {},
  s: 'str',
  n: 1,
  list: [1, 2],
  fn: () => process.env[CANARY_NAME],
  obj: { toString: () => CANARY },
  keys: { proto: '__proto__', ctor: 'constructor', protoWord: 'prototype', getter: '__defineGetter__' },
});

describe('angular-expressions', () => {
  it.each([
    // CVE-2020-5219: rewrite Function.prototype.toString through the constructor chain, then call it.
    'toString.constructor.prototype.toString = toString.constructor.prototype.call; ["a", "alert(1)"].sort(toString.constructor)',
    '"".sub.constructor("return process")()',
    // CVE-2021-21277: __proto__ reached through a chain or a computed key.
    'x.__proto__.polluted = true',
    'x["__proto__"]["polluted"] = true',
    '({}).__proto__',
    // CVE-2024-54152: this / constructor chains in different spellings.
    'this.constructor.constructor("return process")()',
    'constructor.constructor("return process.env")()',
    'x.constructor["constructor"]("return process")()',
    'list.map.constructor("return process")()',
  ])('%s', (source) => {
    expectRefused(source, data());
  });

  it.each([
    'x[keys.proto]',
    'x[keys.ctor]',
    'x["con" + "structor"]',
    'x[keys.getter]',
    's[keys.ctor]',
    'list[keys.protoWord]',
    'list.map(v => x[keys.proto])',
  ])('a forbidden key computed at run time: %s', (source) => {
    const outcome = expectHarmless(source, data());
    expect(outcome.stage).toBe('run');
  });
});

describe('expr-eval', () => {
  it.each([
    // GHSA-8gw3-rxh4-v6jx, CVE-2025-12735: functions in the scope are callable.
    'fn()',
    'x.fn()',
    'toString(1)',
    'constructor(1)',
    'valueOf()',
    'hasOwnProperty("x")',
    // expr-eval#289 (the bypass): reach a function through a member or a callback instead of a name.
    'list.map(fn)',
    'list.filter(obj.toString)',
    'Math.constructor',
    'Object.constructor("return process")()',
    'Array.constructor("x")',
    'Number.constructor("return 1")()',
    'String.fromCharCode(65)',
  ])('%s', (source) => {
    expectRefused(source, data());
  });

  it.each(['obj.toString()', 'obj.toFixed(1)', 'x.includes(1)', 'fn.toString()'])(
    'methods refuse objects of the data at run time: %s',
    (source) => {
      expect(expectHarmless(source, data()).stage).toBe('run');
    },
  );

  it('a function read from the scope is a value, never called', () => {
    const outcome = expectHarmless('[fn, obj]', data());
    expect(outcome.stage).toBe('value');
  });
});

describe('jexl', () => {
  it.each([
    // jexl#92: a transform or member reaching Function.
    '"".toString.constructor("return process.env")()',
    's.substring.call(1)',
    // jexl#142: prototype pollution through object literals and assignment.
    '({ "__proto__": { polluted: 1 } })',
    '({ constructor: { prototype: { polluted: 1 } } })',
  ])('%s', (source) => {
    expectRefused(source, data());
  });
});

describe('filtrex', () => {
  it.each([
    // filtrex#4: constructor chains on literals.
    '"x".constructor.constructor("return process")()',
    '(1).constructor',
    // filtrex#17: prototype members read as properties.
    'x.hasOwnProperty("a")',
    'x.__lookupGetter__("__proto__")',
    // filtrex#18: prototype reached from a property name.
    'x.prototype',
    'x.__defineGetter__',
  ])('%s', (source) => {
    expectRefused(source, data());
  });

  it.each(['x.toString', 's.toString', 'list.push', 's.big', 'n.toFixed'])('prototype members read as undefined: %s', (source) => {
    const outcome = expectHarmless(source, data());
    expect(outcome).toEqual({ stage: 'value', value: undefined });
  });
});

describe('expression-eval PR#53, Handlebars GHSA-p8wg-vrv2-v86f, Nunjucks', () => {
  it.each([
    'x.constructor.prototype.polluted',
    'x.__defineGetter__("a", fn)',
    'x.__lookupGetter__',
    'x.constructor.__proto__',
    'range.constructor("return global.process.mainModule.require(\'child_process\')")()',
    'cycler.constructor("return process")()',
    'joiner.__proto__',
    'process.env[x]',
    'global.process',
    'require("fs")',
    'import("fs")',
    'globalThis.process',
  ])('%s', (source) => {
    expectRefused(source, data());
  });

  it('a host function cannot be given a callback or reached through this', () => {
    let received: unknown;
    const functions = {
      probe(this: unknown, ...args: unknown[]) {
        received = [this, args];
        return 1;
      },
    };
    expectRefused('probe(v => v)', data(), { functions });
    expectHarmless('probe(x, list)', data(), { functions });
    expect((received as unknown[])[0]).toBeUndefined();
  });
});

describe('LiquidJS render limits (CVE-2026-44645): no path around the budget', () => {
  it.each([
    '"x".repeat(2 ** 28)',
    '"x".padStart(2 ** 30)',
    'Array.from({ length: 2 ** 32 - 1 })',
    'Array.from({ length: 1e6 }).map((v, i) => i).join(",")',
    'list.map(a => "x".repeat(900000)).join("")',
    '"abc".split("").map(c => c.repeat(1e6))',
    '"x".repeat(1000).split("").map(c => "y".repeat(1000)).join("")',
  ])('%s', (source) => {
    const outcome = expectHarmless(source, data());
    expect(outcome.stage).toBe('run');
    expect((outcome as { error: { code: string } }).error.code).toBe('ERR_SANDBOX_BUDGET');
  });
});
