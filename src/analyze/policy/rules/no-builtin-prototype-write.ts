/**
 * Built-in prototypes are shared by every module in the sandbox: a write to one changes how
 * everyone's arrays, promises or errors behave (prototype pollution, hooking `then`).
 *
 * Reported: assignment (any operator), update, `delete` and destructuring-assignment targets
 * inside `<Builtin>.prototype` (`Array.prototype.x = f`, `Promise.prototype.then = f`,
 * `globalThis.Object.prototype[k] = v`, `Array.prototype = p`), the same through
 * `Object.getPrototypeOf(x)` / `Reflect.getPrototypeOf(x)`, and the reflective writers
 * (`Object.defineProperty`, `defineProperties`, `assign`, `setPrototypeOf`, `Reflect.set`,
 * `Reflect.defineProperty`, `Reflect.deleteProperty`, `Reflect.setPrototypeOf`) aimed at such a target.
 *
 * Not reported: reading (`Array.prototype.slice.call(x)`), a local that shadows the built-in
 * (`const Array = makeList(); Array.prototype.x = 1`), user classes (`Foo.prototype.x = 1`),
 * and freezing (`Object.freeze(Array.prototype)` hardens rather than changes).
 */
import type { AnyNode, CallExpression, MemberExpression } from 'acorn';
import { builtinName, isWriteTarget, memberKey, reflectiveCallee, unwrap } from '../ast.js';
import { BUILTINS } from '../builtins.js';
import { defineRule, type RuleContext } from '../rule.js';

type Message = 'write';

const WRITERS: ReadonlySet<string> = new Set([
  'Object.defineProperty',
  'Object.defineProperties',
  'Object.assign',
  'Object.setPrototypeOf',
  'Reflect.set',
  'Reflect.defineProperty',
  'Reflect.deleteProperty',
  'Reflect.setPrototypeOf',
]);

const PROTOTYPE_GETTERS: ReadonlySet<string> = new Set(['Object.getPrototypeOf', 'Reflect.getPrototypeOf']);

/** Which built-in prototype an expression lies inside, as `Array.prototype`, or undefined. */
export function builtinPrototype(node: AnyNode, context: RuleContext<string>): string | undefined {
  let current = unwrap(node);
  while (current.type === 'MemberExpression' || current.type === 'CallExpression') {
    if (current.type === 'CallExpression') {
      const getter = reflectiveCallee(current, context);
      return getter !== undefined && PROTOTYPE_GETTERS.has(getter) ? `${getter}(…)` : undefined;
    }
    const object = unwrap(current.object);
    if (memberKey(current) === 'prototype') {
      const name = builtinName(object, context, BUILTINS);
      if (name !== undefined) return `${name}.prototype`;
    }
    current = object;
  }
  return undefined;
}

function member(node: MemberExpression, context: RuleContext<Message>): void {
  // Only the outermost member of a target is the written one; `a.b` in `a.b.c = 1` is read.
  if (!isWriteTarget(context)) return;
  const target = builtinPrototype(node, context);
  if (target !== undefined) context.report(node, 'write', { action: 'Writing inside', target });
}

function call(node: CallExpression, context: RuleContext<Message>): void {
  const first = node.arguments[0];
  if (first === undefined || first.type === 'SpreadElement') return;
  const kind = unwrap(first).type;
  if (kind !== 'MemberExpression' && kind !== 'CallExpression') return;
  const method = reflectiveCallee(node, context);
  if (method === undefined || !WRITERS.has(method)) return;
  const target = builtinPrototype(first, context);
  if (target !== undefined) context.report(first, 'write', { action: `${method} on`, target });
}

export const noBuiltinPrototypeWrite = defineRule<Message>({
  id: 'no-builtin-prototype-write',
  description: 'Disallow changing the prototypes of built-ins (Object, Array, Function, Promise, Error, ...).',
  defaults: { recommended: 'error', strict: 'error' },
  messages: {
    write: '{{action}} {{target}} changes a prototype that every module in the sandbox shares.',
  },
  visitor: { MemberExpression: member, CallExpression: call },
});
