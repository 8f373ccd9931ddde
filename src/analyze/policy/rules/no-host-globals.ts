/**
 * Node's globals do not exist inside the sandbox, and the code-generation and shared-memory
 * globals are refused there; a reference to one is either a module written for another
 * environment or a probe for an escape. Reporting it before the module runs gives a clear
 * message instead of a ReferenceError (or worse, a success) at some later call.
 *
 * Reported: free references (reads, writes, calls, `new`, `instanceof Buffer`, `x instanceof
 * Function`) to process, require, module, exports, global, Buffer, __dirname, __filename,
 * eval, Function, WebAssembly, SharedArrayBuffer, Atomics and any `__esmSandbox*` name (the
 * loader's internals); the same names read off `globalThis` (`globalThis.process`,
 * `globalThis['require']`, `const { process } = globalThis`).
 *
 * Not reported: `process.env…` in a sandbox with packages, whose realm has a `process` of its own
 * holding only `env.NODE_ENV`; the operand of `typeof` (`typeof process !== 'undefined'` is the standard,
 * harmless way isomorphic code asks where it runs, and cannot throw or read anything);
 * locals that shadow a name (`const process = createProcess()`, a parameter named `require`,
 * `import module from './module.mjs'`); property names (`options.process`, `{ require: true }`);
 * strings and comments.
 */
import type { Identifier, MemberExpression, VariableDeclarator } from 'acorn';
import { isGlobalThis, isTypeofOperand, memberKey, propertyKey } from '../ast.js';
import { RESERVED_PREFIX } from '../../../constants.js';
import { HOST_GLOBALS, type HostGlobalKind } from '../builtins.js';
import { defineRule, type RuleContext } from '../rule.js';

type Message = HostGlobalKind | 'internal';

/** The message for a refused name, or undefined for any other name. */
function kindOf(name: string): Message | undefined {
  return HOST_GLOBALS.get(name) ?? (name.startsWith(RESERVED_PREFIX) ? 'internal' : undefined);
}

/**
 * `process.env…` where the sandbox has its own `process` (a sandbox with packages: a frozen
 * `{ env: { NODE_ENV } }` of the realm), which bundled libraries read; anything else of `process`
 * does not exist there and is still reported.
 */
function readsSandboxEnv(node: Identifier | MemberExpression, name: string, context: RuleContext<Message>): boolean {
  if (name !== 'process' || context.env.sandboxGlobals?.includes('process') !== true) return false;
  const parent = context.ancestor(1);
  return parent?.type === 'MemberExpression' && parent.object === node && memberKey(parent) === 'env';
}

function identifier(node: Identifier, context: RuleContext<Message>): void {
  const kind = kindOf(node.name);
  if (kind !== undefined && context.isFree(node.name) && !isTypeofOperand(context) && !readsSandboxEnv(node, node.name, context)) context.report(node, kind, { name: node.name });
}

function member(node: MemberExpression, context: RuleContext<Message>): void {
  const key = memberKey(node);
  const kind = key === undefined ? undefined : kindOf(key);
  if (kind !== undefined && isGlobalThis(node.object, context) && !isTypeofOperand(context) && !readsSandboxEnv(node, key!, context)) {
    context.report(node, kind, { name: key! });
  }
}

function declarator(node: VariableDeclarator, context: RuleContext<Message>): void {
  if (node.id.type !== 'ObjectPattern' || !node.init || !isGlobalThis(node.init, context)) return;
  for (const property of node.id.properties) {
    const key = property.type === 'Property' ? propertyKey(property) : undefined;
    const kind = key === undefined ? undefined : kindOf(key);
    if (kind !== undefined) context.report(property, kind, { name: key! });
  }
}

export const noHostGlobals = defineRule<Message>({
  id: 'no-host-globals',
  description: 'Disallow Node.js host globals, code-generation globals and shared-memory globals.',
  defaults: { recommended: 'error', strict: 'error' },
  messages: {
    host: '`{{name}}` is a Node.js global that does not exist in the sandbox; import what you need from an allow-listed module.',
    codegen: '`{{name}}` compiles code at run time, which the sandbox refuses.',
    'shared-memory': '`{{name}}` gives shared memory and precise timers, which the sandbox does not provide.',
    internal: '`{{name}}` is reserved for esm-sandbox internals.',
  },
  visitor: { Identifier: identifier, MemberExpression: member, VariableDeclarator: declarator },
});
