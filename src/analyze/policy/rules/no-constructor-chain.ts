/**
 * `constructor` walked from a function reaches Function, AsyncFunction or GeneratorFunction:
 * constructors that compile strings into code. The sandbox's own realm refuses code generation,
 * but a host function that leaked in would hand over the host's Function, which does not.
 *
 * Where the line is drawn (legitimate code reads `constructor` all the time):
 *
 * Reported
 *   x.constructor.constructor              any spelling: x['constructor'], x?.constructor, 'constr' + 'uctor'
 *   x.constructor('return this')           calling a constructor without `new` only makes sense for Function & co.
 *   (0, x.constructor)('code')             also through sequences, `?:` branches and `||`/`&&`/`??` operands
 *   (async () => {}).constructor           a function, arrow or class literal: its constructor is always a compiler
 *   Object.getPrototypeOf(fn).constructor  `constructor` of a call result or member chain, when the value is used
 *   [].fill.constructor('code')            for anything but a comparison, `instanceof`, `typeof` or `.name`
 *   const { constructor } = fn             destructuring `constructor` (no common legitimate use)
 *   Reflect.get(fn, 'constructor')
 *
 * Not reported
 *   class A { constructor() {} }           a method definition, not a member access
 *   { constructor: 1 }                     an object key is data
 *   this.constructor.name, new this.constructor(x), value.constructor === Object,
 *   obj.constructor.name, new obj.constructor()   the usual ways code names or clones its own class
 *   Object.getPrototypeOf(v).constructor === Foo, typeof a.b.constructor
 */
import type { AnyNode, CallExpression, MemberExpression, Property, AssignmentProperty } from 'acorn';
import { isFunctionLiteral, isMemberNamed, memberKey, propertyKey, reflectedProperty, unwrap, usage } from '../ast.js';
import { defineRule, type RuleContext } from '../rule.js';

type Message = 'chain' | 'call' | 'functionLiteral' | 'computed' | 'destructure' | 'reflect';

const EQUALITY: ReadonlySet<string> = new Set(['===', '!==', '==', '!=']);

/** Uses of a `constructor` value that cannot compile or call anything. */
function isHarmlessUse(parent: AnyNode | undefined, child: AnyNode): boolean {
  if (parent === undefined) return false;
  switch (parent.type) {
    case 'BinaryExpression':
      return EQUALITY.has(parent.operator) || (parent.operator === 'instanceof' && parent.right === child);
    case 'UnaryExpression':
      return parent.operator === 'typeof';
    case 'MemberExpression':
      return parent.object === child && memberKey(parent) === 'name';
    default:
      return false;
  }
}

function member(node: MemberExpression, context: RuleContext<Message>): void {
  if (memberKey(node) !== 'constructor') return;
  const object = unwrap(node.object);
  if (isMemberNamed(object, 'constructor')) return context.report(node.property, 'chain');
  const { parent, child } = usage(context, true);
  // The outer access of a `.constructor.constructor` chain reports the whole chain once.
  if (parent?.type === 'MemberExpression' && parent.object === child && memberKey(parent) === 'constructor') return;
  if (parent?.type === 'CallExpression' && parent.callee === child) return context.report(node.property, 'call');
  if (isFunctionLiteral(object)) return context.report(node.property, 'functionLiteral');
  if ((object.type === 'CallExpression' || object.type === 'MemberExpression') && !isHarmlessUse(parent, child)) {
    context.report(node.property, 'computed');
  }
}

function property(node: Property | AssignmentProperty, context: RuleContext<Message>): void {
  if (context.ancestor(1)?.type === 'ObjectPattern' && propertyKey(node) === 'constructor') context.report(node.key, 'destructure');
}

function call(node: CallExpression, context: RuleContext<Message>): void {
  const reflected = reflectedProperty(node, context);
  if (reflected?.key === 'constructor') context.report(reflected.keyNode, 'reflect', { method: reflected.method });
}

export const noConstructorChain = defineRule<Message>({
  id: 'no-constructor-chain',
  description: 'Disallow reaching the Function constructor through `.constructor` chains.',
  defaults: { recommended: 'error', strict: 'error' },
  messages: {
    chain: '`.constructor.constructor` reaches the Function constructor, which compiles strings into code.',
    call: 'Calling `.constructor(...)` without `new` is how Function and AsyncFunction compile strings into code.',
    functionLiteral: 'The `.constructor` of a function or class literal is a code-compiling constructor (Function, AsyncFunction, GeneratorFunction).',
    computed: '`.constructor` of a computed value, used for more than a comparison or `.name`, can reach the Function constructor.',
    destructure: 'Destructuring `constructor` can reach the Function constructor.',
    reflect: '{{method}}(…, "constructor") can reach the Function constructor.',
  },
  visitor: { MemberExpression: member, Property: property, CallExpression: call },
});
