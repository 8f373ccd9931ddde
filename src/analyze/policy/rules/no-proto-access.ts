/**
 * `__proto__` and the `__define/lookupGetter/Setter__` family reach and replace prototypes,
 * the usual road to prototype pollution and to objects of another realm.
 *
 * Reported: member access in any spelling (`o.__proto__`, `o['__proto__']`, `o?.__lookupGetter__`),
 * destructuring (`const { __proto__: p } = o`), `Reflect.get(o, '__proto__')` and kin, and the
 * object-literal form `{ __proto__: base }`, which sets the new object's prototype.
 *
 * Not reported: `Sub.__proto__ = Base` where `Sub` is a name other than a built-in's (Bublé's and
 * Babel-loose class inheritance, immutable): it sets that one object's prototype, exactly as
 * `Object.setPrototypeOf(Sub, Base)` does, which is not reported either (rule
 * no-builtin-prototype-write watches both on built-ins), and reads no prototype; `delete o.__proto__` (zod's merge drops an own `__proto__` key of parsed data
 * this way: `delete` only ever removes an own property of `o`, and `__proto__` is an accessor of
 * Object.prototype, so it reads and replaces no prototype); `{ __proto__: null }` (the idiomatic
 * prototype-less dictionary, it cannot reach anything), computed `{ ['__proto__']: x }` and shorthand `{ __proto__ }` (both plain own data
 * properties), methods named `__proto__`, strings and comments.
 */
import type { AssignmentProperty, CallExpression, MemberExpression, Property } from 'acorn';
import { builtinName, memberKey, propertyKey, reflectedProperty, unwrap, usage } from '../ast.js';
import { BUILTINS, PROTO_KEYS } from '../builtins.js';
import { defineRule, type RuleContext } from '../rule.js';

type Message = 'member' | 'literal' | 'destructure' | 'reflect';

/** `delete o.__proto__` itself (not `delete o.__proto__.x`, whose inner access reads the prototype). */
function isDeleted(node: MemberExpression, context: RuleContext<Message>): boolean {
  const { parent, child } = usage(context);
  return parent?.type === 'UnaryExpression' && parent.operator === 'delete' && parent.argument === child;
}

/** `Sub.__proto__ = Base`: the member is the whole target of a plain `=`, on a name that is not a built-in's. */
function setsOwnPrototype(node: MemberExpression, context: RuleContext<Message>): boolean {
  const { parent, child } = usage(context);
  const object = unwrap(node.object);
  return (
    parent?.type === 'AssignmentExpression' &&
    parent.operator === '=' &&
    parent.left === child &&
    object.type === 'Identifier' &&
    object.name !== 'globalThis' &&
    builtinName(object, context, BUILTINS) === undefined
  );
}

function member(node: MemberExpression, context: RuleContext<Message>): void {
  const key = memberKey(node);
  if (key !== undefined && PROTO_KEYS.has(key) && !(key === '__proto__' && (isDeleted(node, context) || setsOwnPrototype(node, context)))) {
    context.report(node.property, 'member', { name: key });
  }
}

function property(node: Property | AssignmentProperty, context: RuleContext<Message>): void {
  const container = context.ancestor(1)?.type;
  if (container === 'ObjectPattern') {
    const key = propertyKey(node);
    if (key !== undefined && PROTO_KEYS.has(key)) context.report(node.key, 'destructure', { name: key });
    return;
  }
  // Only the plain `__proto__: value` form sets the prototype; computed and shorthand keys define own data.
  if (container !== 'ObjectExpression' || node.computed || node.shorthand || node.method || node.kind !== 'init') return;
  if (propertyKey(node) !== '__proto__') return;
  if (node.value.type === 'Literal' && node.value.value === null) return;
  context.report(node.key, 'literal');
}

function call(node: CallExpression, context: RuleContext<Message>): void {
  const reflected = reflectedProperty(node, context);
  if (reflected !== undefined && PROTO_KEYS.has(reflected.key)) {
    context.report(reflected.keyNode, 'reflect', { method: reflected.method, name: reflected.key });
  }
}

export const noProtoAccess = defineRule<Message>({
  id: 'no-proto-access',
  description: 'Disallow `__proto__` and the legacy `__defineGetter__`/`__lookupGetter__` accessors.',
  defaults: { recommended: 'error', strict: 'error' },
  messages: {
    member: "`{{name}}` reaches or replaces an object's prototype; use Object.getPrototypeOf or Object.create instead.",
    literal: '`__proto__:` in an object literal sets its prototype; use Object.create(proto) or `__proto__: null`.',
    destructure: "Destructuring `{{name}}` reaches an object's prototype machinery.",
    reflect: '{{method}}(…, "{{name}}") reaches an object\'s prototype machinery.',
  },
  visitor: { MemberExpression: member, Property: property, CallExpression: call },
});
