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
 *   x.constructor.call(null, 'code')       also `.apply`, `.bind`, tagged templates (x.constructor`code`),
 *   (0, x.constructor)('code')             and through sequences, `?:` branches and `||`/`??`/right-of-`&&` operands
 *   (async () => {}).constructor           a function, arrow or class literal: its constructor is always a compiler
 *   Object.getPrototypeOf(fn).constructor  `constructor` of a call result or member chain, when the value is used
 *   [].fill.constructor('code')            for anything but a comparison, `instanceof`, `typeof` or `.name`
 *   const { constructor } = fn             destructuring `constructor` (no common legitimate use)
 *   Reflect.get(fn, 'constructor')
 *
 * Not reported
 *   class A { constructor() {} }           a method definition, not a member access
 *   { constructor: 1 }                     an object key is data
 *   C.prototype.constructor = C            a write (lodash's wrappers) reads nothing
 *   this.constructor(props, context)       a direct call with no string literal, template or `+` among its
 *   iter.constructor(seq)                  arguments (preact's function components render so, immutable
 *                                          rebuilds a collection so): if the receiver were a function, its
 *                                          constructor is the realm's Function (host functions only cross
 *                                          as bridges of the realm), which throws EvalError whatever it is
 *                                          given; and `const C = x.constructor; C(code)` was never in reach
 *                                          of this rule anyway
 *   this.constructor.name, new this.constructor(x), value.constructor === Object,
 *   obj.constructor.name, new obj.constructor()   the usual ways code names or clones its own class
 *   Object.getPrototypeOf(v).constructor === Foo, typeof a.b.constructor, if (a.b.constructor && …)
 *
 * Out of reach of a syntactic check: a `constructor` value stored in a variable and called
 * later, or handed to `Reflect.apply`/`Reflect.construct`. The realm (code generation off) and
 * the membrane (no host functions) are what hold there; this rule makes the obvious forms fail early.
 */
import type { AnyNode, CallExpression, MemberExpression, Property, AssignmentProperty } from 'acorn';
import { isFunctionLiteral, isWriteTarget, memberKey, propertyKey, reflectedProperty, unwrap, usage } from '../ast.js';
import { defineRule, type RuleContext } from '../rule.js';

type Message = 'chain' | 'call' | 'functionLiteral' | 'computed' | 'destructure' | 'reflect';

const EQUALITY: ReadonlySet<string> = new Set(['===', '!==', '==', '!=']);

/** Uses of a `constructor` value that cannot compile or call anything: tests, comparisons, `.name`. */
function isHarmlessUse(parent: AnyNode | undefined, child: AnyNode): boolean {
  if (parent === undefined) return false;
  switch (parent.type) {
    case 'BinaryExpression':
      return EQUALITY.has(parent.operator) || (parent.operator === 'instanceof' && parent.right === child);
    case 'UnaryExpression':
      return parent.operator === 'typeof' || parent.operator === '!' || parent.operator === 'void';
    case 'MemberExpression':
      return parent.object === child && memberKey(parent) === 'name';
    case 'LogicalExpression':
      // A function is truthy, so the left of `&&` never passes it on.
      return parent.operator === '&&' && parent.left === child;
    case 'IfStatement':
    case 'ConditionalExpression':
    case 'WhileStatement':
    case 'DoWhileStatement':
    case 'ForStatement':
      return parent.test === child;
    default:
      return false;
  }
}

/** `c(...)`, `` c`...` ``, `c.call(...)`, `c.apply(...)`, `c.bind(...)`: all run `c` as a function. */
function isCalled(parent: AnyNode | undefined, child: AnyNode): boolean {
  if (parent === undefined) return false;
  if (parent.type === 'CallExpression') return parent.callee === child;
  if (parent.type === 'TaggedTemplateExpression') return parent.tag === child;
  if (parent.type !== 'MemberExpression' || parent.object !== child) return false;
  const key = memberKey(parent);
  return key === 'call' || key === 'apply' || key === 'bind';
}

/** Could build source text: a string literal, a template, or a `+`. */
function isStringy(node: AnyNode): boolean {
  const value = unwrap(node);
  if (value.type === 'Literal') return typeof value.value === 'string';
  if (value.type === 'SpreadElement') return isStringy(value.argument);
  if (value.type === 'ArrayExpression') return value.elements.some((e) => e !== null && isStringy(e));
  return value.type === 'TemplateLiteral' || (value.type === 'BinaryExpression' && value.operator === '+');
}

/** `x.constructor(a, b)` called directly, with no argument that spells code, on anything but a function literal. */
function callsOwnClass(node: MemberExpression, object: AnyNode, parent: AnyNode | undefined): boolean {
  return (
    !isFunctionLiteral(object) && parent?.type === 'CallExpression' && unwrap(parent.callee) === node && !parent.arguments.some(isStringy)
  );
}

/** True when `node` may evaluate to a `.constructor` read, looking through `(0, x)`, `?:`, `||`. */
function reachesConstructor(node: AnyNode): boolean {
  const value = unwrap(node);
  switch (value.type) {
    case 'MemberExpression':
      return memberKey(value) === 'constructor';
    case 'SequenceExpression':
      return reachesConstructor(value.expressions.at(-1)!);
    case 'ConditionalExpression':
      return reachesConstructor(value.consequent) || reachesConstructor(value.alternate);
    case 'LogicalExpression':
      return reachesConstructor(value.right) || (value.operator !== '&&' && reachesConstructor(value.left));
    default:
      return false;
  }
}

function member(node: MemberExpression, context: RuleContext<Message>): void {
  if (memberKey(node) !== 'constructor') return;
  const object = unwrap(node.object);
  if (reachesConstructor(object)) return context.report(node.property, 'chain');
  const { parent, child } = usage(context, true);
  // The outer access of a `.constructor.constructor` chain reports the whole chain once.
  if (parent?.type === 'MemberExpression' && parent.object === child && memberKey(parent) === 'constructor') return;
  if (isWriteTarget(context)) return;
  if (isCalled(parent, child) && !callsOwnClass(node, object, parent)) return context.report(node.property, 'call');
  if (isCalled(parent, child)) return;
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
    call: 'Calling `.constructor` as a function is how Function and AsyncFunction compile strings into code.',
    functionLiteral:
      'The `.constructor` of a function or class literal is a code-compiling constructor (Function, AsyncFunction, GeneratorFunction).',
    computed: '`.constructor` of a computed value, used for more than a comparison or `.name`, can reach the Function constructor.',
    destructure: 'Destructuring `constructor` can reach the Function constructor.',
    reflect: '{{method}}(…, "constructor") can reach the Function constructor.',
  },
  visitor: { MemberExpression: member, Property: property, CallExpression: call },
});
