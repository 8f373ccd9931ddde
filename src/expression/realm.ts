/**
 * The expression realm: one `vm` context, shared by every compiled expression, with code
 * generation from strings off. Expressions cannot change it (no assignment, no calls other than
 * the helpers), so sharing it costs no isolation. Each expression is compiled into it once,
 * by the host, as a `vm.Script`; evaluations are then plain function calls with no watchdog,
 * bounded by construction (no loops or recursion in the grammar) and by the budget.
 */
import vm from 'node:vm';
import { ArrayPrototype, isProxy } from '../commons.js';
import { RUNTIME_FILENAME, RUNTIME_SOURCE } from './runtime.js';
import { STDLIB_FILENAME, STDLIB_SOURCE } from './stdlib.js';

/** The realm helpers as the host sees them (realm functions; only esm-sandbox's own code runs in them). */
export interface Runtime {
  readonly ArrayPrototype: object;
  readonly ObjectPrototype: object;
  isFault(value: unknown): boolean;
  /** Budget left when the last evaluation ended. */
  last(): number;
}

export interface ExpressionRealm {
  readonly context: vm.Context;
  readonly rt: Runtime;
  readonly methods: object;
  readonly stdlib: object;
}

let realm: ExpressionRealm | undefined;

export function expressionRealm(): ExpressionRealm {
  if (realm) return realm;
  const template = (vm.constants as unknown as { DONT_CONTEXTIFY?: symbol } | undefined)?.DONT_CONTEXTIFY ?? Object.create(null);
  const context = vm.createContext(template as vm.Context, {
    name: 'esm-sandbox expressions',
    codeGeneration: { strings: false, wasm: false },
  });
  // isProxy is a host function the realm may call: it reads an internal slot and runs no user code.
  // Called from the realm through a host closure, it costs half as much as called directly (a
  // native function entered from another context misses its fast path).
  // The host's Array.prototype is one of the ordinary prototypes the runtime recognizes on data arrays.
  const rt = (
    new vm.Script(RUNTIME_SOURCE, { filename: RUNTIME_FILENAME }).runInContext(context) as (p: typeof isProxy, a: object) => Runtime
  )((value) => isProxy(value), ArrayPrototype);
  const { M, S } = (
    new vm.Script(STDLIB_SOURCE, { filename: STDLIB_FILENAME }).runInContext(context) as (r: Runtime) => { M: object; S: object }
  )(rt);
  realm = { context, rt, methods: M, stdlib: S };
  return realm;
}

/** The helpers every generated factory destructures (names as the generated code uses them). */
const HELPERS = [
  'g',
  'gs',
  'gc',
  'add',
  'arith',
  'cmp',
  'sub',
  'mul',
  'div',
  'mod',
  'lt',
  'gt',
  'le',
  'ge',
  'loose',
  'unary',
  'text',
  'part',
  'html',
  're',
  'charge',
  'host',
  'begin',
  'str',
  'UNREAD',
];

/** An evaluation function of the realm: `(scope, budget) => value`. */
export type Evaluate = (scope: object, budget: number) => unknown;

/**
 * Compile a generated body into the realm. `hosts` is the number of host functions (`h0`...);
 * the factory returned binds them, so one compiled script serves every set of functions.
 */
export function compileInRealm(
  body: string,
  cost: number,
  temps: number,
  memos: number,
  hosts: number,
  filename: string,
): (fns: readonly unknown[]) => Evaluate {
  const { context, rt, methods, stdlib } = expressionRealm();
  const tempList = Array.from({ length: temps }, (_, i) => `t${i}`)
    .concat(Array.from({ length: memos }, (_, i) => `n${i} = UNREAD`))
    .join(', ');
  const hostList = Array.from({ length: hosts }, (_, i) => `const h${i} = h[${i}];`).join(' ');
  const source = `(function (rt, M, S) {
'use strict';
const { ${HELPERS.join(', ')} } = rt;
return function (h) {
${hostList}
return function (s, budget) {
${tempList ? `let ${tempList};` : ''}
const sv = begin(budget, ${cost}, s);
return ${body};
};
};
})`;
  const factory = (
    new vm.Script(source, { filename }).runInContext(context) as (r: Runtime, m: object, s: object) => (fns: readonly unknown[]) => Evaluate
  )(rt, methods, stdlib);
  return factory;
}
