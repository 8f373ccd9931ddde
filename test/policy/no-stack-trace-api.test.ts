import { describe, expect, it } from 'vitest';
import { lint, positions } from './helpers.js';

const rule = 'no-stack-trace-api';
const count = (source: string) => lint(rule, source).length;

describe(rule, () => {
  it('reports prepareStackTrace at the property, read or write', () => {
    expect(positions(lint(rule, 'Error.prepareStackTrace = (e, s) => s;'))).toEqual([[1, 7]]);
    expect(count('const p = Error.prepareStackTrace;')).toBe(1);
    expect(count('const E = Error; E.prepareStackTrace = f;')).toBe(1);
  });

  it('reports captureStackTrace in any use', () => {
    expect(count('Error.captureStackTrace(target);')).toBe(1);
    expect(count('class E extends Error { constructor() { super(); Error.captureStackTrace?.(this, E); } }')).toBe(1);
  });

  it('reports writes of stackTraceLimit but not reads', () => {
    expect(positions(lint(rule, 'const old = Error.stackTraceLimit;\nError.stackTraceLimit = 0;\n'))).toEqual([[2, 7]]);
    expect(count('Error.stackTraceLimit += 10;')).toBe(1);
    expect(count('Reflect.set(Error, "stackTraceLimit", 0);')).toBe(1);
    expect(count('Reflect.get(Error, "stackTraceLimit");')).toBe(0);
  });

  it('reports destructuring and reflective access of the hooks', () => {
    expect(count('const { captureStackTrace } = Error;')).toBe(1);
    expect(count('Object.defineProperty(Error, "prepareStackTrace", { set: f });')).toBe(1);
  });

  it('ignores the names as object keys (data), but not on a local that shadows Error', () => {
    expect(count('const hooks = { prepareStackTrace: 1, captureStackTrace() {} };')).toBe(0);
    // The names exist for nothing but V8's hooks, and an alias of Error can have any name, so
    // shadowing exempts nothing (unlike no-host-globals, where a local `process` is just a local).
    expect(count('function f(Error) { Error.captureStackTrace(this); }')).toBe(1);
    expect(count('const Err = Error; Err.prepareStackTrace = f;')).toBe(1);
  });

  it('ignores stacks, strings and comments', () => {
    expect(count('const s = new Error("x").stack; // Error.prepareStackTrace')).toBe(0);
    expect(count('log("Error.captureStackTrace is not available");')).toBe(0);
  });
});
