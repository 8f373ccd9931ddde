/**
 * `obj[key]` with a key that comes from data can reach any property, `constructor` and
 * `__proto__` included: the classic prototype-pollution shape (`target[key] = source[key]`).
 * The other rules see literal keys; this one, for `strict` only, refuses the data-driven ones.
 *
 * Allowed, because the key is always a number (no dangerous property name is numeric):
 *   a[0], a[-1], a[i * 2], a[n - 1], a[a.length - 1], a[~x], a[+s], a[i++]  arithmetic other than `+`
 *   a[i] and a[i + 1] where `i` is the counter of an enclosing `for (let i = <number>; …; i++)`
 *     (declared in the loop head, `let` or `var`, with a numeric start and an arithmetic step)
 *   a[mid] where `const mid = <numeric expression>` in scope, a[Math.floor(x)], a[Number(s)]
 *   a['x'], a[`x`], a['x' + 'y']  static keys (the specific rules judge their names)
 * Reported: everything else, including `a[key]` in `for…in`/`for…of` loops, `a[x + 1]` for
 * an `x` of unknown type, computed destructuring `const { [k]: v } = o`, and `a[i]` for a
 * counter modified inside the loop body (not tracked: the check is syntactic).
 * Off in `recommended`: ordinary code indexes by variables all the time.
 */
import type {
  AnyNode,
  AssignmentProperty,
  CallExpression,
  Expression,
  Identifier,
  MemberExpression,
  ModuleDeclaration,
  PrivateIdentifier,
  Property,
  Statement,
} from 'acorn';
import { staticString } from '../ast.js';
import { defineRule, type RuleContext } from '../rule.js';

type Message = 'computed' | 'destructure';

const NUMERIC_OPERATORS: ReadonlySet<string> = new Set(['-', '*', '/', '%', '**', '|', '&', '^', '<<', '>>', '>>>']);

/** True when `node` always evaluates to a number (or bigint); counters count only where `counters` is set. */
function isNumeric(node: Expression | PrivateIdentifier, context: RuleContext<Message>, counters: boolean): boolean {
  switch (node.type) {
    case 'Literal':
      return typeof node.value === 'number' || typeof node.value === 'bigint';
    case 'UnaryExpression':
      return node.operator === '-' || node.operator === '+' || node.operator === '~';
    case 'UpdateExpression':
      return true;
    case 'BinaryExpression':
      if (NUMERIC_OPERATORS.has(node.operator)) return true;
      return node.operator === '+' && isNumeric(node.left, context, counters) && isNumeric(node.right, context, counters);
    case 'Identifier':
      return counters && (isLoopCounter(node, context) || isNumericConstant(node, context));
    case 'CallExpression':
      return isNumericCall(node, context);
    default:
      return false;
  }
}

/** Built-in functions that always return a number. */
const NUMERIC_FUNCTIONS: ReadonlySet<string> = new Set(['Number', 'parseInt', 'parseFloat']);

function isNumericCall(node: CallExpression, context: RuleContext<Message>): boolean {
  const callee = node.callee;
  if (callee.type === 'Identifier') return NUMERIC_FUNCTIONS.has(callee.name) && context.isFree(callee.name);
  // Every Math function returns a number.
  return (
    callee.type === 'MemberExpression' && callee.object.type === 'Identifier' && callee.object.name === 'Math' && context.isFree('Math')
  );
}

/** `const middle = list.length >> 1`: a constant whose initial value is numeric stays numeric. */
function isNumericConstant(node: Identifier, context: RuleContext<Message>): boolean {
  const scope = context.declaringScope(node.name);
  const init = scope === undefined ? undefined : constInitializer(scope, node.name);
  // Identifiers in the initializer are not followed, so constants cannot chase each other in a cycle.
  return init !== undefined && isNumeric(init, context, false);
}

function scopeStatements(scope: AnyNode): ReadonlyArray<Statement | ModuleDeclaration> {
  switch (scope.type) {
    case 'Program':
    case 'BlockStatement':
    case 'StaticBlock':
      return scope.body;
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      return scope.body.type === 'BlockStatement' ? scope.body.body : [];
    default:
      return [];
  }
}

function constInitializer(scope: AnyNode, name: string): Expression | undefined {
  for (const statement of scopeStatements(scope)) {
    const declaration = statement.type === 'ExportNamedDeclaration' ? statement.declaration : statement;
    if (declaration?.type !== 'VariableDeclaration' || declaration.kind !== 'const') continue;
    for (const declarator of declaration.declarations) {
      if (declarator.id.type === 'Identifier' && declarator.id.name === name) return declarator.init ?? undefined;
    }
  }
  return undefined;
}

/** The `for` head declares `name` with a numeric start and steps it by arithmetic. */
function countsWith(loop: AnyNode, name: string, context: RuleContext<Message>): boolean {
  if (loop.type !== 'ForStatement' || loop.init?.type !== 'VariableDeclaration') return false;
  const declarator = loop.init.declarations.find((d) => d.id.type === 'Identifier' && d.id.name === name);
  if (!declarator?.init || !isNumeric(declarator.init, context, false)) return false;
  const update = loop.update;
  if (update?.type === 'UpdateExpression') return update.argument.type === 'Identifier' && update.argument.name === name;
  if (update?.type !== 'AssignmentExpression' || update.left.type !== 'Identifier' || update.left.name !== name) return false;
  const operator = update.operator.slice(0, -1);
  return operator === '+' ? isNumeric(update.right, context, false) : NUMERIC_OPERATORS.has(operator);
}

function isLoopCounter(node: Identifier, context: RuleContext<Message>): boolean {
  // The walk gives a `for` head its own scope holding its declarations, `var` ones included,
  // so a counter resolves to its loop unless something nearer shadows it.
  const scope = context.declaringScope(node.name);
  return scope?.type === 'ForStatement' && countsWith(scope, node.name, context);
}

function member(node: MemberExpression, context: RuleContext<Message>): void {
  if (!node.computed || staticString(node.property) !== undefined) return;
  if (isNumeric(node.property, context, true)) return;
  context.report(node.property, 'computed');
}

function property(node: Property | AssignmentProperty, context: RuleContext<Message>): void {
  if (!node.computed || context.ancestor(1)?.type !== 'ObjectPattern') return;
  if (staticString(node.key) === undefined && !isNumeric(node.key, context, true)) context.report(node.key, 'destructure');
}

export const noComputedMember = defineRule<Message>({
  id: 'no-computed-member',
  description: 'Disallow member access with keys computed from data (strict preset).',
  defaults: { recommended: 'off', strict: 'error' },
  messages: {
    computed: 'A computed key can reach any property, `constructor` and `__proto__` included; use a literal key, a numeric index or a Map.',
    destructure: 'A computed destructuring key can reach any property, `constructor` and `__proto__` included.',
  },
  visitor: { MemberExpression: member, Property: property },
});
