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

  it("does not report reading or calling captureStackTrace, which formats through the realm's locked hook", () => {
    expect(count('Error.captureStackTrace(target);')).toBe(0);
    expect(count('class E extends Error { constructor() { super(); Error.captureStackTrace?.(this, E); } }')).toBe(0);
    expect(
      count('export const capture = "captureStackTrace" in Error ? Error.captureStackTrace : () => {}; util.captureStackTrace(e, f);'),
    ).toBe(0);
    expect(count('const { captureStackTrace } = Error; Reflect.get(Error, "captureStackTrace");')).toBe(0);
  });

  it('reports replacing captureStackTrace', () => {
    expect(positions(lint(rule, 'Error.captureStackTrace = f;'))).toEqual([[1, 7]]);
    expect(count('delete Error.captureStackTrace;')).toBe(1);
    expect(count('Object.defineProperty(Error, "captureStackTrace", { value: f });')).toBe(1);
    expect(count('Reflect.set(Error, "captureStackTrace", f);')).toBe(1);
  });

  it("does not report stackTraceLimit, the realm's own, read or written", () => {
    expect(count('const old = Error.stackTraceLimit;\nError.stackTraceLimit = 0;\n')).toBe(0);
    expect(count('Error.stackTraceLimit += 10; Reflect.set(Error, "stackTraceLimit", 0);')).toBe(0);
  });

  it('reports destructuring and reflective access of prepareStackTrace', () => {
    expect(count('const { prepareStackTrace } = Error;')).toBe(1);
    expect(count('Object.defineProperty(Error, "prepareStackTrace", { set: f });')).toBe(1);
    expect(count('Reflect.get(Error, "prepareStackTrace");')).toBe(1);
  });

  it('ignores the names as object keys (data), but not on a local that shadows Error', () => {
    expect(count('const hooks = { prepareStackTrace: 1, captureStackTrace() {} };')).toBe(0);
    // The names exist for nothing but V8's hooks, and an alias of Error can have any name, so
    // shadowing exempts nothing (unlike no-host-globals, where a local `process` is just a local).
    expect(count('function f(Error) { Error.prepareStackTrace = f; }')).toBe(1);
    expect(count('const Err = Error; Err.prepareStackTrace = f;')).toBe(1);
  });

  it('ignores stacks, strings and comments', () => {
    expect(count('const s = new Error("x").stack; // Error.prepareStackTrace')).toBe(0);
    expect(count('log("Error.captureStackTrace is not available");')).toBe(0);
  });
});
