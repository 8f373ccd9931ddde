/**
 * Node's globals do not exist inside the sandbox, and the shared-memory and wasm globals are
 * refused there; a reference to one is either a module written for another environment or a probe
 * for an escape. Reporting it before the module runs gives a clear message instead of a
 * ReferenceError (or worse, a success) at some later call.
 *
 * Reported: free references (reads, writes, calls, `new`, `instanceof Buffer`) to process, require,
 * module, exports, global, Buffer, __dirname, __filename, WebAssembly, SharedArrayBuffer, Atomics
 * and any `__esmSandbox*` name (the loader's internals); the same names read off `globalThis`
 * (`globalThis.process`, `globalThis['require']`, `const { process } = globalThis`). In a sandbox
 * with packages, whose realm has a `process` of its own holding only `env`, a call of any other
 * member of it (`process.exit(1)`, `process.cwd()`), which can only throw a TypeError there.
 *
 * Not reported, because nothing of the host can be behind them:
 * - the operand of `typeof` (`typeof process !== 'undefined'`, the standard way isomorphic code
 *   asks where it runs: it reads nothing and cannot throw);
 * - a Node name behind a `typeof` test of the same name: the right of `&&` after it
 *   (`typeof exports == 'object' && exports && exports.nodeType`, as lodash finds CommonJS) and the
 *   branch of `if`/`?:` it guards (`if (typeof process !== 'undefined') { … process.stdout … }`,
 *   kleur). Where the name does not exist the guarded code never runs; where it does, it is the
 *   sandbox's own (its `process` shim, or a value sandbox code made). Only Node's names: the
 *   internals and the shared-memory and wasm globals are reported behind a test too;
 * - in a sandbox with packages, `process` (any read: `process.env.NODE_ENV`, `process.stdout &&
 *   …` gives undefined) and `global` (the realm's globalThis there, see docs/SEMANTICS.md);
 * - `eval` and `Function`: the realm compiles no string (rule no-code-generation says so), and
 *   reading them (`Function.prototype.toString.call(C)`, immer; `x instanceof Function`) is harmless;
 * - locals that shadow a name (`const process = createProcess()`, a parameter named `require`,
 *   `import module from './module.mjs'`); property names (`options.process`, `{ require: true }`);
 *   strings and comments.
 */
import type { AnyNode, Expression, Identifier, MemberExpression, VariableDeclarator } from 'acorn';
import { isGlobalThis, isTypeofOperand, memberKey, propertyKey, unwrap } from '../ast.js';
import { RESERVED_PREFIX } from '../../../constants.js';
import { HOST_GLOBALS, type HostGlobalKind } from '../builtins.js';
import { defineRule, type RuleContext } from '../rule.js';

type Message = HostGlobalKind | 'internal' | 'shim';

/** The message for a refused name, or undefined for any other name. */
function kindOf(name: string): Message | undefined {
  return HOST_GLOBALS.get(name) ?? (name.startsWith(RESERVED_PREFIX) ? 'internal' : undefined);
}

const sandboxHas = (name: string, context: RuleContext<Message>): boolean => context.env.sandboxGlobals?.includes(name) === true;

/** `typeof name` (or `typeof globalThis.name`) compared with a string: the string, the operator. */
function typeofTest(node: AnyNode, name: string): { operator: string; type: string } | undefined {
  const test = unwrap(node);
  if (test.type !== 'BinaryExpression' || !['===', '==', '!==', '!='].includes(test.operator)) return undefined;
  for (const [a, b] of [
    [test.left, test.right],
    [test.right, test.left],
  ] as const) {
    const operand = unwrap(a);
    const literal = unwrap(b);
    if (
      operand.type !== 'UnaryExpression' ||
      operand.operator !== 'typeof' ||
      literal.type !== 'Literal' ||
      typeof literal.value !== 'string'
    )
      continue;
    const target = unwrap(operand.argument);
    const named = target.type === 'Identifier' ? target.name : target.type === 'MemberExpression' ? memberKey(target) : undefined;
    if (named === name) return { operator: test.operator, type: literal.value };
  }
  return undefined;
}

/** True when `test` being truthy means `name` exists. */
function assertsPresent(test: AnyNode, name: string): boolean {
  const value = unwrap(test);
  if (value.type === 'LogicalExpression' && value.operator === '&&')
    return assertsPresent(value.left, name) || assertsPresent(value.right, name);
  const t = typeofTest(value, name);
  if (t === undefined) return false;
  return t.operator.startsWith('=') ? t.type !== 'undefined' : t.type === 'undefined';
}

/** True when `test` being falsy means `name` exists. */
function assertsAbsent(test: AnyNode, name: string): boolean {
  const value = unwrap(test);
  if (value.type === 'LogicalExpression' && value.operator === '||')
    return assertsAbsent(value.left, name) || assertsAbsent(value.right, name);
  const t = typeofTest(value, name);
  if (t === undefined) return false;
  return t.operator.startsWith('=') ? t.type === 'undefined' : t.type !== 'undefined';
}

/** The visited reference runs only where a `typeof` test of the same name said it exists. */
function isGuarded(name: string, context: RuleContext<Message>): boolean {
  let child = context.ancestor(0)!;
  for (let depth = 1; ; depth++) {
    const parent = context.ancestor(depth);
    if (parent === undefined) return false;
    if (parent.type === 'LogicalExpression' && parent.operator === '&&' && parent.right === child && assertsPresent(parent.left, name))
      return true;
    if (parent.type === 'ConditionalExpression' || parent.type === 'IfStatement') {
      if (parent.consequent === child && assertsPresent(parent.test, name)) return true;
      if (parent.alternate === child && assertsAbsent(parent.test, name)) return true;
    }
    child = parent;
  }
}

/** `process.exit()` where the sandbox's `process` holds only `env`: the member to name, or undefined. */
function missingProcessCall(node: Identifier | MemberExpression, context: RuleContext<Message>): MemberExpression | undefined {
  const parent = context.ancestor(1);
  if (parent?.type !== 'MemberExpression' || parent.object !== node || memberKey(parent) === 'env') return undefined;
  const depth = context.ancestor(2)?.type === 'ChainExpression' ? 3 : 2;
  const call = context.ancestor(depth);
  return (call?.type === 'CallExpression' || call?.type === 'NewExpression') && unwrap(call.callee as Expression) === parent
    ? parent
    : undefined;
}

function check(node: Identifier | MemberExpression, name: string, context: RuleContext<Message>): void {
  const kind = kindOf(name);
  if (kind === undefined || isTypeofOperand(context)) return;
  if (kind === 'host' && sandboxHas(name, context)) {
    const called = name === 'process' ? missingProcessCall(node, context) : undefined;
    if (called !== undefined) context.report(called, 'shim', { key: memberKey(called) ?? '…' });
    return;
  }
  if (kind === 'host' && isGuarded(name, context)) return;
  context.report(node, kind, { name });
}

function identifier(node: Identifier, context: RuleContext<Message>): void {
  if (context.isFree(node.name)) check(node, node.name, context);
}

function member(node: MemberExpression, context: RuleContext<Message>): void {
  const key = memberKey(node);
  if (key !== undefined && kindOf(key) !== undefined && isGlobalThis(node.object, context)) check(node, key, context);
}

function declarator(node: VariableDeclarator, context: RuleContext<Message>): void {
  if (node.id.type !== 'ObjectPattern' || !node.init || !isGlobalThis(node.init, context)) return;
  for (const property of node.id.properties) {
    const key = property.type === 'Property' ? propertyKey(property) : undefined;
    const kind = key === undefined ? undefined : kindOf(key);
    if (kind !== undefined && !(kind === 'host' && sandboxHas(key!, context))) context.report(property, kind, { name: key! });
  }
}

export const noHostGlobals = defineRule<Message>({
  id: 'no-host-globals',
  description: 'Disallow Node.js host globals, shared-memory globals and esm-sandbox internals.',
  defaults: { recommended: 'error', strict: 'error' },
  messages: {
    host: '`{{name}}` is a Node.js global that does not exist in the sandbox; import what you need from an allow-listed module.',
    codegen: '`{{name}}` compiles code at run time, which the sandbox refuses.',
    'shared-memory': '`{{name}}` gives shared memory and precise timers, which the sandbox does not provide.',
    internal: '`{{name}}` is reserved for esm-sandbox internals.',
    shim: '`process.{{key}}` does not exist in the sandbox: its `process` holds only `env`.',
  },
  visitor: { Identifier: identifier, MemberExpression: member, VariableDeclarator: declarator },
});
