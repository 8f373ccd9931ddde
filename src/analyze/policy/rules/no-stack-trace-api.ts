/**
 * V8's stack-trace hooks run user code while an error's stack is formatted, possibly by the
 * host: `Error.prepareStackTrace` receives CallSite objects, and `Error.captureStackTrace`
 * on a crafted object forces that formatting on demand. Both were the way in for published
 * vm escapes; `Error.stackTraceLimit` writes let code grow or hide traces.
 *
 * Reported: every access to `prepareStackTrace` or `captureStackTrace` on any object (the names
 * exist for nothing else, and `const E = Error; E.prepareStackTrace = f` must not slip by), any
 * write to `stackTraceLimit`, destructuring of the first two, and `Reflect`/`Object` calls naming
 * them (`Object.defineProperty(Error, 'prepareStackTrace', …)`).
 *
 * Not reported: reading `Error.stackTraceLimit`, `err.stack`, strings and comments.
 * `if (Error.captureStackTrace) Error.captureStackTrace(this, MyError)` is common in
 * Node-oriented libraries and IS reported: in the sandbox `new Error().stack` already holds the trace.
 */
import type { AssignmentProperty, CallExpression, MemberExpression, Property } from 'acorn';
import { isWriteTarget, memberKey, propertyKey, reflectedProperty } from '../ast.js';
import { defineRule, type RuleContext } from '../rule.js';

type Message = 'hook' | 'limit' | 'destructure' | 'reflect';

const HOOKS: ReadonlySet<string> = new Set(['prepareStackTrace', 'captureStackTrace']);
const REFLECTIVE_READS: ReadonlySet<string> = new Set(['Reflect.get', 'Reflect.getOwnPropertyDescriptor', 'Object.getOwnPropertyDescriptor']);

function member(node: MemberExpression, context: RuleContext<Message>): void {
  const key = memberKey(node);
  if (key === undefined) return;
  if (HOOKS.has(key)) context.report(node.property, 'hook', { name: key });
  else if (key === 'stackTraceLimit' && isWriteTarget(context)) context.report(node.property, 'limit');
}

function property(node: Property | AssignmentProperty, context: RuleContext<Message>): void {
  if (context.ancestor(1)?.type !== 'ObjectPattern') return;
  const key = propertyKey(node);
  if (key !== undefined && HOOKS.has(key)) context.report(node.key, 'destructure', { name: key });
}

function call(node: CallExpression, context: RuleContext<Message>): void {
  const reflected = reflectedProperty(node, context);
  if (reflected === undefined) return;
  const { key, method } = reflected;
  if (HOOKS.has(key) || (key === 'stackTraceLimit' && !REFLECTIVE_READS.has(method))) {
    context.report(reflected.keyNode, 'reflect', { method, name: key });
  }
}

export const noStackTraceApi = defineRule<Message>({
  id: 'no-stack-trace-api',
  description: 'Disallow the V8 stack-trace hooks: Error.prepareStackTrace, Error.captureStackTrace, Error.stackTraceLimit writes.',
  defaults: { recommended: 'error', strict: 'error' },
  messages: {
    hook: '`{{name}}` is a V8 stack-trace hook that runs code while errors are formatted, possibly on the host; read `error.stack` instead.',
    limit: 'Writing `stackTraceLimit` changes stack traces for every module in the sandbox.',
    destructure: 'Destructuring `{{name}}` reaches a V8 stack-trace hook.',
    reflect: '{{method}}(…, "{{name}}") reaches a V8 stack-trace hook.',
  },
  visitor: { MemberExpression: member, Property: property, CallExpression: call },
});
