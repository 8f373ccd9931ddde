/**
 * `compileExpression(source, options)`: parse with acorn after a linear pre-scan, check and
 * generate (codegen.ts), compile once into the expression realm (realm.ts), cache, and wrap the
 * realm function so that every failure leaves as an `EsmSandboxError` with its position.
 */
import { parseExpressionAt, type Node } from 'acorn';
import { ReflectGetOwnPropertyDescriptor, ReflectGetPrototypeOf, ReflectOwnKeys, isProxy } from '../commons.js';
import {
  BudgetExceededError,
  EsmSandboxError,
  ExpressionRefusedError,
  ExpressionRuntimeError,
  ExpressionSyntaxError,
} from '../errors/errors.js';
import { LruCache } from './cache.js';
import { Emitter, Refusal } from './codegen.js';
import { DEFAULT_MAX_LENGTH, prescan } from './grammar.js';
import { locationOf } from './location.js';
import { compileInRealm, expressionRealm, type Evaluate } from './realm.js';

/** Units an evaluation may spend unless `budget` says otherwise (see docs/EXPRESSIONS.md, "Cost model"). */
export const DEFAULT_BUDGET = 250_000;

/** A function of the host an expression may call by name. It receives the evaluated arguments. */
export type HostFunction = (...args: never[]) => unknown;

export interface ExpressionOptions {
  /** Host functions the expression may call, e.g. `{ currency }` for `currency(total)`. */
  functions?: Readonly<Record<string, HostFunction>>;
  /** Cost units one evaluation may spend (default 250,000). */
  budget?: number;
  /** Longest source accepted, in characters (default 10,000). */
  maxLength?: number;
}

export interface Measured<Result> {
  value: Result;
  /** Units spent: the same expression on the same scope always costs the same. */
  cost: number;
}

/** A compiled expression: call it with a scope object to evaluate it. */
export interface Expression<Scope extends object = Record<string, unknown>, Result = unknown> {
  (scope?: Scope): Result;
  /** The source it was compiled from. */
  readonly source: string;
  /** The free names it reads from the scope. */
  readonly identifiers: readonly string[];
  /** Evaluate and report the cost spent. */
  measure(scope?: Scope): Measured<Result>;
}

/** What the cache keeps: everything but the host functions, which are bound per compile. */
export interface Plan {
  readonly text: string;
  readonly positions: ReadonlyArray<readonly [number, number]>;
  readonly identifiers: readonly string[];
  readonly bind: (fns: readonly unknown[]) => Evaluate;
}

const cache = new LruCache<Plan>();
const EMPTY_SCOPE: object = Object.freeze(Object.create(null) as object);

export function compileExpression<Scope extends object = Record<string, unknown>, Result = unknown>(
  source: string,
  options: ExpressionOptions = {},
): Expression<Scope, Result> {
  if (typeof source !== 'string') throw new TypeError('compileExpression: the source must be a string');
  const { names, fns } = hostFunctions(options.functions);
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  // Before the cache key is built: a huge source is refused without hashing it.
  if (source.length > maxLength)
    throw new ExpressionRefusedError(
      `Refused: the expression is longer than the limit of ${maxLength} characters`,
      locationOf(source, maxLength, maxLength + 1),
    );
  const key = `e\0${maxLength}\0${names.join(',')}\0${source}`;
  let plan = cache.get(key);
  if (!plan) {
    plan = planExpression(source, names, maxLength);
    cache.set(key, plan);
  }
  return finish<Scope, Result>(plan, fns, options.budget ?? DEFAULT_BUDGET, source);
}

/** Drop every cached compilation (tests; a host that compiled many one-off sources). */
export function clearExpressionCache(): void {
  cache.clear();
}

export function hostFunctions(functions: ExpressionOptions['functions']): { names: string[]; fns: unknown[] } {
  const names = functions ? Object.keys(functions).sort() : [];
  for (const name of names) {
    if (typeof functions![name] !== 'function') throw new TypeError(`functions.${name} must be a function`);
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new TypeError(`functions.${name}: not a valid name`);
  }
  return { names, fns: names.map((name) => functions![name]) };
}

function planExpression(source: string, names: readonly string[], maxLength: number): Plan {
  const node = parseRegion(source, 0, source.length, maxLength, false).node;
  const emitter = new Emitter(new Map(names.map((name, i) => [name, i])));
  emitter.position({ start: 0, end: source.length });
  const generated = generate(source, emitter, node);
  return {
    text: source,
    positions: emitter.positions,
    identifiers: [...emitter.identifiers],
    bind: compileInRealm(generated.code, generated.cost, emitter.temps, emitter.memos.size, names.length, 'esm-sandbox:expression'),
  };
}

/** Run the emitter, turning a refusal into the public error. */
export function generate(text: string, emitter: Emitter, node: Node): { code: string; cost: number } {
  try {
    return emitter.expression(node);
  } catch (error) {
    if (error instanceof Refusal) throw new ExpressionRefusedError(`Refused: ${error.reason}`, locationOf(text, error.start, error.end));
    if (error instanceof RangeError)
      throw new ExpressionRefusedError('Refused: the expression is nested too deeply', locationOf(text, 0, text.length));
    throw error;
  }
}

/**
 * Parse one expression of `text` starting at `start`. A plain expression must fill the text up
 * to `end`; a template interpolation (`closing`) ends before its `}}`, which is returned as `stop`.
 */
export function parseRegion(text: string, start: number, end: number, maxLength: number, closing: boolean): { node: Node; stop: number } {
  const scan = prescan(text, start, end, maxLength, closing);
  if (scan.failure)
    throw new ExpressionRefusedError(`Refused: ${scan.failure.reason}`, locationOf(text, scan.failure.at, scan.failure.at + 1));
  // acorn sees the text only up to where the scan stopped, so it never recurses past what was scanned.
  const visible = closing ? text.slice(0, Math.min(end, scan.stop + 2)) : text.slice(0, end);
  let node: Node;
  try {
    node = parseExpressionAt(visible, start, { ecmaVersion: 'latest', sourceType: 'script', preserveParens: true });
  } catch (error) {
    // acorn turns its own stack overflow into this SyntaxError: a depth the pre-scan cannot see (a long operator chain).
    if (error instanceof SyntaxError && error.message.includes('stack space')) {
      throw new ExpressionRefusedError('Refused: the expression is nested too deeply', locationOf(text, start, start + 1));
    }
    if (error instanceof SyntaxError) {
      const pos = (error as SyntaxError & { pos?: number }).pos ?? start;
      throw new ExpressionSyntaxError(error.message.replace(/ \(\d+:\d+\)$/, ''), locationOf(text, pos, pos + 1));
    }
    if (error instanceof RangeError)
      throw new ExpressionRefusedError('Refused: the expression is nested too deeply', locationOf(text, start, start + 1));
    throw error;
  }
  let after = node.end;
  while (after < visible.length && /\s/.test(visible[after]!)) after++;
  if (closing) {
    if (!visible.startsWith('}}', after))
      throw new ExpressionSyntaxError('Expected "}}" to close the interpolation', locationOf(text, after, after + 1));
    return { node, stop: after };
  }
  if (after < end) throw new ExpressionSyntaxError('Unexpected text after the expression', locationOf(text, after, after + 1));
  return { node, stop: end };
}

/** Wrap a bound realm function as the public callable. */
export function finish<Scope extends object, Result>(
  plan: Plan,
  fns: readonly unknown[],
  budget: number,
  source: string,
): Expression<Scope, Result> {
  if (!(budget >= 0)) throw new TypeError('budget must be a number ≥ 0');
  const evaluate = plan.bind(fns);
  const { rt } = expressionRealm();
  const run = (scope?: Scope): Result => {
    const s: object = scope === undefined || scope === null ? EMPTY_SCOPE : scope;
    if (typeof s !== 'object') throw new TypeError('the scope must be an object');
    let value: unknown;
    try {
      value = evaluate(s, budget);
    } catch (error) {
      throw publicError(plan, error, budget);
    }
    if (typeof value !== 'object' || value === null) return value as Result;
    try {
      return toHost(value, rt.ArrayPrototype, rt.ObjectPrototype, 0) as Result;
    } catch (error) {
      if (!(error instanceof ResultTooDeep)) throw error;
      const [start, end] = plan.positions[0]!;
      throw new ExpressionRuntimeError(`the result is nested more than ${MAX_RESULT_DEPTH} levels deep`, locationOf(plan.text, start, end));
    }
  };
  const measure = (scope?: Scope): Measured<Result> => {
    const value = run(scope);
    return { value, cost: budget - rt.last() };
  };
  return Object.defineProperties(run, {
    source: { value: source, enumerable: true },
    identifiers: { value: Object.freeze([...plan.identifiers]), enumerable: true },
    measure: { value: measure },
  }) as Expression<Scope, Result>;
}

function publicError(plan: Plan, error: unknown, budget: number): EsmSandboxError {
  const { rt } = expressionRealm();
  const [start, end] = plan.positions[0]!;
  if (!rt.isFault(error)) {
    const message = readOwn(error, 'message');
    return new ExpressionRuntimeError(typeof message === 'string' ? message : 'the evaluation failed', locationOf(plan.text, start, end));
  }
  const fault = error as { kind: string; message: string; p: number; cause: unknown };
  const [from, to] = plan.positions[fault.p] ?? [start, end];
  const at = locationOf(plan.text, from, to);
  if (fault.kind === 'budget') return new BudgetExceededError(budget, at);
  if (fault.kind === 'host') {
    const cause = fault.cause;
    const detail = cause instanceof Error ? `: ${cause.message}` : '';
    return new ExpressionRuntimeError(`A host function threw${detail}`, at, cause);
  }
  return new ExpressionRuntimeError(fault.message, at);
}

function readOwn(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null || isProxy(value)) return undefined;
  return ReflectGetOwnPropertyDescriptor(value, key)?.value;
}

/** Deepest result copied out: `reduce(a => [a], 0)` can nest thousands deep within budget. */
const MAX_RESULT_DEPTH = 1_000;
class ResultTooDeep extends Error {}

/**
 * Arrays and objects the expression built are realm objects: copy them into host ones so the
 * host gets its own `Array.prototype`. Anything else (host data the expression passed through) is
 * returned as it is. Built values are acyclic and were paid for by the budget; nesting past
 * MAX_RESULT_DEPTH is an error rather than a host stack overflow.
 */
function toHost(value: object, arrayProto: object, objectProto: object, depth: number): unknown {
  if (isProxy(value)) return value;
  if (depth > MAX_RESULT_DEPTH) throw new ResultTooDeep();
  const proto = ReflectGetPrototypeOf(value);
  if (proto === arrayProto) {
    const source = value as unknown[];
    const out = new Array<unknown>(source.length);
    for (let i = 0; i < source.length; i++) {
      const v = ReflectGetOwnPropertyDescriptor(source, i)?.value;
      out[i] = typeof v === 'object' && v !== null ? toHost(v, arrayProto, objectProto, depth + 1) : v;
    }
    return out;
  }
  if (proto === objectProto) {
    const out: Record<string, unknown> = {};
    for (const key of ReflectOwnKeys(value)) {
      if (typeof key !== 'string') continue;
      const v = ReflectGetOwnPropertyDescriptor(value, key)?.value;
      out[key] = typeof v === 'object' && v !== null ? toHost(v, arrayProto, objectProto, depth + 1) : v;
    }
    return out;
  }
  return value;
}
