/**
 * Small syntax questions the rules share: which property a member access names, whether a
 * value is used as a callee, which reflective built-in a call goes through.
 */
import type {
  AnyNode,
  AssignmentProperty,
  CallExpression,
  Expression,
  MemberExpression,
  MethodDefinition,
  NewExpression,
  PrivateIdentifier,
  Property,
  PropertyDefinition,
  Super,
} from 'acorn';
import type { RuleContext } from './rule.js';

/** `'constr' + 'uctor'` folds; a longer chain of literals is not worth chasing and counts as computed. */
const MAX_FOLD_PARTS = 16;

/**
 * The string a key expression always evaluates to: string and number literals, template
 * literals whose substitutions fold, `+` concatenations and one-element arrays of those.
 * Undefined when it depends on data.
 */
export function staticString(node: Expression | PrivateIdentifier | Super): string | undefined {
  return fold(node, { parts: 0 });
}

function fold(node: Expression | PrivateIdentifier | Super, budget: { parts: number }): string | undefined {
  if (++budget.parts > MAX_FOLD_PARTS) return undefined;
  switch (node.type) {
    case 'Literal':
      return typeof node.value === 'string' || typeof node.value === 'number' ? String(node.value) : undefined;
    case 'TemplateLiteral': {
      let text = node.quasis[0]?.value.cooked ?? undefined;
      for (let i = 0; text !== undefined && i < node.expressions.length; i++) {
        const part = fold(node.expressions[i]!, budget);
        const next = node.quasis[i + 1]?.value.cooked ?? undefined;
        text = part === undefined || next === undefined ? undefined : text + part + next;
      }
      return text;
    }
    case 'ArrayExpression': {
      // A key is converted with toString: `o[['constructor']]` reads `o.constructor`.
      const [only] = node.elements;
      if (node.elements.length !== 1 || !only || only.type === 'SpreadElement') return undefined;
      return fold(only, budget);
    }
    case 'BinaryExpression': {
      if (node.operator !== '+') return undefined;
      const left = fold(node.left, budget);
      if (left === undefined) return undefined;
      const right = fold(node.right, budget);
      return right === undefined ? undefined : left + right;
    }
    case 'ParenthesizedExpression':
      return fold(node.expression, budget);
    default:
      return undefined;
  }
}

/** The property name a member access reads (`a.b`, `a['b']`, `` a[`b`] ``), or undefined when computed from data. */
export function memberKey(node: MemberExpression): string | undefined {
  if (!node.computed) return node.property.type === 'Identifier' ? node.property.name : undefined;
  return staticString(node.property);
}

/** The name of an object-literal, pattern or class key, or undefined when computed from data. */
export function propertyKey(node: Property | AssignmentProperty | MethodDefinition | PropertyDefinition): string | undefined {
  if (node.computed) return staticString(node.key);
  if (node.key.type === 'Identifier') return node.key.name;
  if (node.key.type === 'Literal') return staticString(node.key);
  return undefined;
}

/** Optional chains and parentheses do not change what value an expression denotes. */
export function unwrap(node: AnyNode): AnyNode {
  let current = node;
  while (current.type === 'ChainExpression' || current.type === 'ParenthesizedExpression') current = current.expression;
  return current;
}

export function isFunctionLiteral(node: AnyNode): boolean {
  const type = unwrap(node).type;
  return type === 'FunctionExpression' || type === 'ArrowFunctionExpression' || type === 'ClassExpression';
}

/**
 * Where the visited node's value goes: the first ancestor that is not an optional-chain or
 * parenthesis wrapper, and the child of that ancestor which holds the node. With `flow`, also
 * look through the expressions that pass a value on unchanged: the last of a sequence
 * (`(0, f.x)()`), a branch of `?:`, an operand of `||`/`??` and the right of `&&`.
 */
export function usage(context: RuleContext<string>, flow = false): { parent: AnyNode | undefined; child: AnyNode } {
  let depth = 1;
  // ancestor(0) is the visited node itself, always present during a visit.
  let child = context.ancestor(0)!;
  let parent = context.ancestor(1);
  while (parent !== undefined && (isWrapper(parent) || (flow && passesOn(parent, child)))) {
    child = parent;
    parent = context.ancestor(++depth);
  }
  return { parent, child };
}

const isWrapper = (node: AnyNode): boolean => node.type === 'ChainExpression' || node.type === 'ParenthesizedExpression';

function passesOn(parent: AnyNode, child: AnyNode): boolean {
  switch (parent.type) {
    case 'SequenceExpression':
      return parent.expressions.at(-1) === child;
    case 'ConditionalExpression':
      return parent.test !== child;
    case 'LogicalExpression':
      // The left of `&&` is passed on only when falsy, which an object or function never is.
      return parent.operator !== '&&' || parent.right === child;
    default:
      return false;
  }
}

/** True when the visited node is the operand of `typeof`, which reads nothing and cannot throw. */
export function isTypeofOperand(context: RuleContext<string>): boolean {
  const { parent, child } = usage(context);
  return parent?.type === 'UnaryExpression' && parent.operator === 'typeof' && parent.argument === child;
}

/** The callee of a call on a free `Object`/`Reflect`, as `'Object.defineProperty'`; undefined otherwise. */
export function reflectiveCallee(call: CallExpression | NewExpression, context: RuleContext<string>): string | undefined {
  const callee = unwrap(call.callee);
  if (callee.type !== 'MemberExpression' || callee.object.type !== 'Identifier') return undefined;
  const owner = callee.object.name;
  if (owner !== 'Object' && owner !== 'Reflect') return undefined;
  const method = memberKey(callee);
  if (method === undefined || !context.isFree(owner)) return undefined;
  return `${owner}.${method}`;
}

/** Calls that read or write a property named by their second argument. */
const KEYED_REFLECTION = new Set([
  'Reflect.get',
  'Reflect.set',
  'Reflect.defineProperty',
  'Reflect.deleteProperty',
  'Reflect.getOwnPropertyDescriptor',
  'Object.defineProperty',
  'Object.getOwnPropertyDescriptor',
]);

/** For `Reflect.get(o, 'k')` and friends: the call's target expression and static key. */
export function reflectedProperty(
  call: CallExpression,
  context: RuleContext<string>,
): { method: string; target: Expression; key: string; keyNode: Expression } | undefined {
  // The callee test comes first: it rejects almost every call after two property reads.
  const method = reflectiveCallee(call, context);
  if (method === undefined || !KEYED_REFLECTION.has(method)) return undefined;
  const [target, keyNode] = call.arguments;
  if (!target || !keyNode || target.type === 'SpreadElement' || keyNode.type === 'SpreadElement') return undefined;
  const key = staticString(keyNode);
  return key === undefined ? undefined : { method, target, key, keyNode };
}

/**
 * True when the visited node is written: an assignment or update target, a `delete` operand,
 * a `for…in/of` target, or a member/identifier inside a destructuring assignment target.
 */
export function isWriteTarget(context: RuleContext<string>): boolean {
  let child = context.ancestor(0)!;
  for (let depth = 1; ; depth++) {
    const parent = context.ancestor(depth);
    if (parent === undefined) return false;
    switch (parent.type) {
      case 'AssignmentExpression':
        return parent.left === child;
      case 'UpdateExpression':
        return true;
      case 'UnaryExpression':
        return parent.operator === 'delete';
      case 'ForInStatement':
      case 'ForOfStatement':
        return parent.left === child;
      case 'AssignmentPattern':
        if (parent.left !== child) return false;
        break;
      case 'Property':
        // A computed key inside a pattern is read, not written.
        if (parent.value !== child || context.ancestor(depth + 1)?.type !== 'ObjectPattern') return false;
        break;
      case 'ArrayPattern':
      case 'ObjectPattern':
      case 'RestElement':
      case 'ChainExpression':
      case 'ParenthesizedExpression':
        break;
      default:
        return false;
    }
    child = parent;
  }
}

/** A free `globalThis` (or `globalThis.globalThis`…), which names the sandbox's global object itself. */
export function isGlobalThis(node: AnyNode, context: RuleContext<string>): boolean {
  let target = unwrap(node);
  while (target.type === 'MemberExpression' && memberKey(target) === 'globalThis') target = unwrap(target.object);
  return target.type === 'Identifier' && target.name === 'globalThis' && context.isFree('globalThis');
}

/**
 * The built-in `node` denotes (`Array`, `globalThis.Array`, `globalThis['JSON']`) when that
 * name is not shadowed, or undefined.
 */
export function builtinName(node: AnyNode, context: RuleContext<string>, builtins: ReadonlySet<string>): string | undefined {
  const target = unwrap(node);
  if (target.type === 'Identifier') {
    return builtins.has(target.name) && context.isFree(target.name) ? target.name : undefined;
  }
  if (target.type === 'MemberExpression') {
    const key = memberKey(target);
    return key !== undefined && builtins.has(key) && isGlobalThis(target.object, context) ? key : undefined;
  }
  return undefined;
}
