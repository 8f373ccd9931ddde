/**
 * Replacing a built-in or one of its static members (`JSON.parse = f`, `Math.random = f`,
 * `globalThis.Promise = P`, `Array = X`) silently changes every other module in the sandbox,
 * and is how a plugin would intercept another's data.
 *
 * Reported: assignment, update, `delete` and destructuring-assignment targets that are a free
 * built-in (`Array = X`, `globalThis = g`), a property of one (`JSON.parse = f`,
 * `globalThis.Math.max = f`), or a built-in's name on `globalThis` (`globalThis.Array = X`,
 * `delete globalThis.Promise`); and `Object.defineProperty(Math, 'random', …)`,
 * `Object.assign(JSON, …)`, `Reflect.set(globalThis, 'Array', …)`,
 * `Object.assign(globalThis, { Promise })` and the like.
 *
 * Not reported: `.prototype` writes and the V8 stack-trace hooks (their own rules),
 * shadowed names (`let Map = new Map2(); Map.x = 1` — hypothetical, a local), writes of other
 * names on `globalThis` (`globalThis.myPlugin = api`: a deliberate, non-built-in global), and
 * reads of any kind.
 */
import type { CallExpression, Identifier, MemberExpression } from 'acorn';
import { builtinName, isGlobalThis, isWriteTarget, memberKey, propertyKey, reflectiveCallee, staticString, unwrap } from '../ast.js';
import { BUILTINS, STACK_TRACE_KEYS } from '../builtins.js';
import { defineRule, type RuleContext } from '../rule.js';

type Message = 'replace' | 'member' | 'reflect';

const WITH_OBJECT: ReadonlySet<string> = new Set(['Object.assign', 'Object.defineProperties']);
const KEYED_WRITERS: ReadonlySet<string> = new Set([
  'Object.defineProperty',
  'Reflect.set',
  'Reflect.defineProperty',
  'Reflect.deleteProperty',
]);
const PROTOTYPE_SETTERS: ReadonlySet<string> = new Set(['Object.setPrototypeOf', 'Reflect.setPrototypeOf']);
const WHOLE_OBJECT_WRITERS: ReadonlySet<string> = new Set([...PROTOTYPE_SETTERS, ...WITH_OBJECT, ...KEYED_WRITERS]);

function identifier(node: Identifier, context: RuleContext<Message>): void {
  const name = node.name;
  if ((name === 'globalThis' || BUILTINS.has(name)) && isWriteTarget(context) && context.isFree(name)) {
    context.report(node, 'replace', { name });
  }
}

function member(node: MemberExpression, context: RuleContext<Message>): void {
  const key = memberKey(node);
  if (key === 'prototype' || (key !== undefined && STACK_TRACE_KEYS.has(key))) return;
  const object = unwrap(node.object);
  if (object.type !== 'Identifier' && object.type !== 'MemberExpression') return;
  if (!isWriteTarget(context)) return;
  if (key !== undefined && BUILTINS.has(key) && isGlobalThis(object, context)) {
    return context.report(node, 'replace', { name: `globalThis.${key}` });
  }
  const owner = builtinName(object, context, BUILTINS);
  if (owner !== undefined) context.report(node, 'member', { name: owner });
}

function call(node: CallExpression, context: RuleContext<Message>): void {
  const [target, second] = node.arguments;
  if (target === undefined || target.type === 'SpreadElement') return;
  const method = reflectiveCallee(node, context);
  if (method === undefined || !WHOLE_OBJECT_WRITERS.has(method)) return;
  const owner = builtinName(target, context, BUILTINS);
  if (owner !== undefined) return context.report(target, 'reflect', { method, name: owner });
  if (!isGlobalThis(target, context)) return;
  if (PROTOTYPE_SETTERS.has(method)) return context.report(target, 'reflect', { method, name: 'globalThis' });
  if (second === undefined || second.type === 'SpreadElement') return;
  if (KEYED_WRITERS.has(method)) {
    const key = staticString(second);
    if (key !== undefined && BUILTINS.has(key)) context.report(second, 'reflect', { method, name: `globalThis.${key}` });
  } else if (WITH_OBJECT.has(method) && second.type === 'ObjectExpression') {
    for (const property of second.properties) {
      const key = property.type === 'Property' ? propertyKey(property) : undefined;
      if (key !== undefined && BUILTINS.has(key)) context.report(property, 'reflect', { method, name: `globalThis.${key}` });
    }
  }
}

export const noBuiltinWrite = defineRule<Message>({
  id: 'no-builtin-write',
  description: 'Disallow replacing built-ins or their static members (JSON.parse, Math.random, globalThis.Promise, ...).',
  defaults: { recommended: 'error', strict: 'error' },
  messages: {
    replace: 'Replacing `{{name}}` changes a built-in that every module in the sandbox shares.',
    member: 'Writing a property of `{{name}}` changes a built-in that every module in the sandbox shares.',
    reflect: '{{method}} on `{{name}}` changes a built-in that every module in the sandbox shares.',
  },
  visitor: { Identifier: identifier, MemberExpression: member, CallExpression: call },
});
