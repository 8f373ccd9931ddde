/**
 * Random expressions over random JSON scopes either compile and finish within budget (a value,
 * a runtime error or the budget error, all esm-sandbox errors), or are refused; the host is
 * never changed and the canary never read.
 *
 * The suite runs 2,000 cases; the 100,000:
 *   EXPRESSION_PROPERTY_RUNS=100000 npx vitest run test/security/expressions/property.test.ts
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileExpression, EsmSandboxError } from '../../../src/index.js';
import { CANARY, hostChanges, render, snapshotHost } from '../../helpers/host.js';

const RUNS = Number(process.env.EXPRESSION_PROPERTY_RUNS ?? 2_000);

const names = fc.constantFrom(
  'a',
  'b',
  'items',
  'user',
  'x',
  'constructor',
  '__proto__',
  'process',
  'globalThis',
  'toString',
  'Math',
  'this',
  'fn',
);
const keys = fc.constantFrom(
  'a',
  'b',
  'length',
  'name',
  '0',
  'constructor',
  '__proto__',
  'prototype',
  'toString',
  'valueOf',
  'call',
  'apply',
  'bind',
);
const methods = fc.constantFrom(
  'map',
  'filter',
  'reduce',
  'join',
  'repeat',
  'padStart',
  'split',
  'toUpperCase',
  'slice',
  'concat',
  'sort',
  'flatMap',
  'includes',
  'constructor',
  'call',
  'bind',
  'apply',
  'push',
);
const literal = fc.oneof(
  fc.integer({ min: -5, max: 40 }).map(String),
  fc.constantFrom('1e9', '2**28', '0.5', 'NaN', 'Infinity', '10n', 'null', 'true', 'undefined'),
  fc.string({ maxLength: 6 }).map((s) => JSON.stringify(s)),
  fc.constantFrom('/a+/', '/(a+)+$/', '/x/g'),
);
const binary = fc.constantFrom(
  '+',
  '-',
  '*',
  '/',
  '%',
  '**',
  '<',
  '>=',
  '===',
  '!=',
  '==',
  '&&',
  '||',
  '??',
  '<<',
  '&',
  'in',
  'instanceof',
  '=',
);
const unary = fc.constantFrom('!', '-', '+', '~', 'typeof ', 'void ', 'delete ', 'new ', '...');

const { expr } = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    names,
    literal,
    fc.tuple(tie('expr'), keys).map(([o, k]) => `${o}.${k}`),
    fc.tuple(tie('expr'), keys).map(([o, k]) => `${o}?.[${JSON.stringify(k)}]`),
    fc.tuple(tie('expr'), tie('expr')).map(([o, k]) => `${o}[${k}]`),
    fc.tuple(tie('expr'), binary, tie('expr')).map(([l, op, r]) => `(${l} ${op} ${r})`),
    fc.tuple(unary, tie('expr')).map(([op, e]) => `${op}${e}`),
    fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([t, c, e]) => `(${t} ? ${c} : ${e})`),
    fc.tuple(tie('expr'), methods, tie('expr')).map(([o, m, arg]) => `${o}.${m}(${arg})`),
    fc.tuple(tie('expr'), methods, tie('expr')).map(([o, m, body]) => `${o}.${m}((v, i) => ${body})`),
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `\`<${a}|${b}>\``),
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `[${a}, ${b}]`),
    fc.tuple(keys, tie('expr')).map(([k, v]) => `({ ${JSON.stringify(k)}: ${v} })`),
    fc.tuple(tie('expr')).map(([a]) => `Array.from({ length: ${a} }, (v, i) => i)`),
    fc.string({ maxLength: 12 }),
  ),
}));

const scope = fc.record({
  a: fc.jsonValue({ maxDepth: 3 }),
  b: fc.jsonValue({ maxDepth: 2 }),
  items: fc.array(fc.record({ name: fc.string({ maxLength: 5 }), a: fc.integer() }), { maxLength: 6 }),
  user: fc.record({ name: fc.string({ maxLength: 8 }), length: fc.integer({ min: 0, max: 1e9 }) }),
});

describe('random expressions are refused or bounded', () => {
  it(`${RUNS} runs`, () => {
    const before = snapshotHost();
    let refused = 0;
    let evaluated = 0;
    fc.assert(
      fc.property(expr, scope, (source, data) => {
        let compiled;
        try {
          compiled = compileExpression(source);
        } catch (error) {
          expect(error, source).toBeInstanceOf(EsmSandboxError);
          refused++;
          return;
        }
        const started = performance.now();
        let seen: unknown;
        try {
          seen = compiled({ ...data, fn: () => CANARY });
          evaluated++;
        } catch (error) {
          expect(error, source).toBeInstanceOf(EsmSandboxError);
          seen = error;
        }
        expect(performance.now() - started, source).toBeLessThan(250);
        expect(render(seen).includes(CANARY), source).toBe(false);
      }),
      { numRuns: RUNS },
    );
    expect(hostChanges(before, snapshotHost())).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Both outcomes occur: the generator is not degenerate.
    expect(refused).toBeGreaterThan(RUNS / 20);
    expect(evaluated).toBeGreaterThan(RUNS / 20);
  }, 120_000);
});
