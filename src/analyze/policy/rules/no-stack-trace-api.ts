/**
 * V8's stack-trace hook `Error.prepareStackTrace` runs user code while an error's stack is
 * formatted, possibly by the host, and hands it CallSite objects (`getThis`, `getFunction`): the way
 * in for published vm escapes. The realm locks its own (non-writable, non-configurable: see
 * run/realm-source/tame-stack.ts), so an attempt fails there anyway; this rule says so before
 * anything runs.
 *
 * Reported: every access to `prepareStackTrace` on any object (read, write, destructuring,
 * `Reflect`/`Object` calls naming it: the name exists for nothing else, and `const E = Error;
 * E.prepareStackTrace = f` must not slip by); writes of `captureStackTrace` (assignment, `delete`,
 * `Object.defineProperty(Error, 'captureStackTrace', …)`), which would replace it for every module
 * of the sandbox.
 *
 * Not reported, because the realm makes them harmless:
 * - `Error.captureStackTrace(this, MyError)` and any other read or call of it (zod, Node-oriented
 *   libraries): it formats through the realm's locked `prepareStackTrace`, which shows only the
 *   user's own frames and reads nothing of the user's outside a turn, so it reveals nothing that
 *   `new Error().stack` would not;
 * - `Error.stackTraceLimit`, read or written (zod sets it to 0 around a constructor for speed): it
 *   is the realm's own `Error`'s, and counts only frames of errors made in the realm; a host error
 *   is made, and its stack limited, by the host's `Error`, and reaches the sandbox rebuilt without
 *   host frames. `err.stack`, strings and comments.
 */
import type { AssignmentProperty, CallExpression, MemberExpression, Property } from 'acorn';
import { isWriteTarget, memberKey, propertyKey, reflectedProperty } from '../ast.js';
import { defineRule, type RuleContext } from '../rule.js';

type Message = 'hook' | 'capture' | 'destructure' | 'reflect';

const HOOK = 'prepareStackTrace';
const CAPTURE = 'captureStackTrace';
/** Reflective calls that only read a property: `captureStackTrace` may be read. */
const REFLECTIVE_READS: ReadonlySet<string> = new Set([
  'Reflect.get',
  'Reflect.getOwnPropertyDescriptor',
  'Object.getOwnPropertyDescriptor',
]);

function member(node: MemberExpression, context: RuleContext<Message>): void {
  const key = memberKey(node);
  if (key === HOOK) context.report(node.property, 'hook', { name: key });
  else if (key === CAPTURE && isWriteTarget(context)) context.report(node.property, 'capture');
}

function property(node: Property | AssignmentProperty, context: RuleContext<Message>): void {
  if (context.ancestor(1)?.type === 'ObjectPattern' && propertyKey(node) === HOOK) context.report(node.key, 'destructure', { name: HOOK });
}

function call(node: CallExpression, context: RuleContext<Message>): void {
  const reflected = reflectedProperty(node, context);
  if (reflected === undefined) return;
  const { key, method } = reflected;
  if (key === HOOK || (key === CAPTURE && !REFLECTIVE_READS.has(method))) {
    context.report(reflected.keyNode, 'reflect', { method, name: key });
  }
}

export const noStackTraceApi = defineRule<Message>({
  id: 'no-stack-trace-api',
  description: 'Disallow the V8 stack-trace hook Error.prepareStackTrace, and replacing Error.captureStackTrace.',
  defaults: { recommended: 'error', strict: 'error' },
  messages: {
    hook: '`{{name}}` is a V8 stack-trace hook that runs code while errors are formatted, possibly on the host; read `error.stack` instead.',
    capture: 'Replacing `captureStackTrace` changes it for every module in the sandbox.',
    destructure: 'Destructuring `{{name}}` reaches a V8 stack-trace hook.',
    reflect: '{{method}}(…, "{{name}}") reaches a V8 stack-trace hook.',
  },
  visitor: { MemberExpression: member, Property: property, CallExpression: call },
});
