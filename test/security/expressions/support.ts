/**
 * Verdicts for expression attacks: an attack either fails to compile (refused or a syntax error)
 * or evaluates harmlessly (a value or an esm-sandbox error); either way the canary in the host's
 * `process.env` appears nowhere in what the host received and the host is unchanged.
 */
import { expect } from 'vitest';
import { compileExpression, EsmSandboxError, type ExpressionOptions } from '../../../src/index.js';
import { CANARY, hostChanges, render, snapshotHost } from '../../helpers/host.js';

export type Outcome = { stage: 'compile' | 'run'; error: EsmSandboxError } | { stage: 'value'; value: unknown };

export function attempt(source: string, scope: object = {}, options: ExpressionOptions = {}): Outcome {
  let expr;
  try {
    expr = compileExpression<object>(source, options);
  } catch (error) {
    expect(error, `${source}: compile failures are esm-sandbox errors`).toBeInstanceOf(EsmSandboxError);
    return { stage: 'compile', error: error as EsmSandboxError };
  }
  try {
    return { stage: 'value', value: expr(scope) };
  } catch (error) {
    expect(error, `${source}: run failures are esm-sandbox errors`).toBeInstanceOf(EsmSandboxError);
    return { stage: 'run', error: error as EsmSandboxError };
  }
}

/** Run the attack and require it harmless: no canary, host unchanged, a clean object stays clean. */
export function expectHarmless(source: string, scope: object = {}, options: ExpressionOptions = {}): Outcome {
  const before = snapshotHost();
  const outcome = attempt(source, scope, options);
  const seen = render(outcome.stage === 'value' ? outcome.value : outcome.error);
  expect(seen.includes(CANARY), `${source}: the canary reached the host`).toBe(false);
  expect(hostChanges(before, snapshotHost()), `${source}: host prototypes or globals changed`).toEqual([]);
  const clean = {} as Record<string, unknown>;
  expect([clean.polluted, clean.isAdmin, (Object.prototype as Record<string, unknown>).polluted]).toEqual([
    undefined,
    undefined,
    undefined,
  ]);
  return outcome;
}

/** The attack must not even compile. */
export function expectRefused(source: string, scope: object = {}, options: ExpressionOptions = {}): EsmSandboxError {
  const outcome = expectHarmless(source, scope, options);
  expect(outcome.stage, `${source} should be refused at compile time`).toBe('compile');
  return (outcome as { error: EsmSandboxError }).error;
}
