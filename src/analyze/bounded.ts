/**
 * Straight-line modules: modules whose evaluation provably runs no user function, queues no
 * microtask, imports nothing and does work linear in their own length — `export default 1 + 1`,
 * or a config file that is one object literal. Such a module cannot loop, so the realm evaluates
 * it without arming a watchdog (a thread per call: 50–100 µs idle, milliseconds on a busy
 * machine), which is most of what a trivial import costs.
 *
 * The check is an allow-list of node types, and it must stay one: anything not listed makes the
 * module ordinary (watchdog on). What each allowed form can do at run time:
 * - literals (no BigInt: `10n ** 10n ** 7n` is superlinear), templates without substitutions;
 * - unary, binary, logical and conditional operators whose operands are themselves such
 *   primitive expressions: only primitives are ever coerced, so no `valueOf`/`toString`/`join`
 *   runs (an array built from itself twice per line has exponentially many elements to join);
 *   `in` and `instanceof` are excluded (they reach objects);
 * - array and object literals of allowed values, with plain `key: value` (or shorthand)
 *   properties only (no methods, getters, computed keys or spread), and reads of the module's own
 *   top-level bindings placed into them unchanged: reading a binding runs nothing (a global, by
 *   contrast, may be an accessor another module defined);
 * - `const`/`let`/`var` declarations of plain names, `export` of them, `export default` of an
 *   allowed expression, `export { a as b }` of local names, and directive-like string statements.
 * No calls, `new`, tagged templates, member access, functions, classes, loops, `await`,
 * `import`, `import.meta`, assignments or updates are allowed anywhere.
 *
 * The module is only half of it: the microtask checkpoint after evaluation runs whatever else is
 * queued in the context, so the realm also keeps the watchdog while an `import()` continuation
 * may be waiting there (Realm.importOpened); every other way into that queue is a turn.
 */
import type { Expression, ModuleDeclaration, Node, Program, Statement } from 'acorn';

const PRIMITIVE_UNARY = new Set(['-', '+', '!', '~', 'typeof', 'void']);
const PRIMITIVE_BINARY = new Set([
  '==',
  '!=',
  '===',
  '!==',
  '<',
  '<=',
  '>',
  '>=',
  '<<',
  '>>',
  '>>>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '**',
  '|',
  '^',
  '&',
]);
const LOGICAL = new Set(['||', '&&', '??']);

/** True when evaluating `program` is bounded by its length and runs nothing but the module itself. */
export function isStraightLine(program: Program): boolean {
  const locals = new Set<string>();
  for (const node of program.body) {
    const declaration = node.type === 'ExportNamedDeclaration' ? node.declaration : node;
    if (declaration?.type === 'VariableDeclaration') {
      for (const d of declaration.declarations) if (d.id.type === 'Identifier') locals.add(d.id.name);
    }
  }
  return program.body.every((node) => statement(node, locals));
}

function statement(node: Statement | ModuleDeclaration, locals: ReadonlySet<string>): boolean {
  switch (node.type) {
    case 'VariableDeclaration':
      return node.declarations.every(
        (d) => d.id.type === 'Identifier' && (d.init === null || d.init === undefined || value(d.init, locals)),
      );
    case 'ExportNamedDeclaration':
      if (node.source !== null && node.source !== undefined) return false;
      if (node.declaration !== null && node.declaration !== undefined)
        return node.declaration.type === 'VariableDeclaration' && statement(node.declaration, locals);
      return node.specifiers.every((s) => s.local.type === 'Identifier' && locals.has(s.local.name));
    case 'ExportDefaultDeclaration':
      return isExpression(node.declaration) && value(node.declaration, locals);
    case 'ExpressionStatement':
      return node.expression.type === 'Literal' && typeof node.expression.value === 'string';
    case 'EmptyStatement':
      return true;
    default:
      return false;
  }
}

const isExpression = (node: Node): node is Expression =>
  node.type !== 'FunctionDeclaration' && node.type !== 'ClassDeclaration' && node.type !== 'VariableDeclaration';

/** A value placed into a binding or a data structure: never coerced, never called. */
function value(node: Expression, locals: ReadonlySet<string>): boolean {
  switch (node.type) {
    case 'Identifier':
      return locals.has(node.name);
    case 'ArrayExpression':
      return node.elements.every((e) => e === null || (e.type !== 'SpreadElement' && value(e, locals)));
    case 'ObjectExpression':
      return node.properties.every(
        (p) =>
          p.type === 'Property' &&
          p.kind === 'init' &&
          !p.method &&
          !p.computed &&
          (p.key.type === 'Identifier' || (p.key.type === 'Literal' && primitive(p.key))) &&
          value(p.value as Expression, locals),
      );
    default:
      return primitive(node);
  }
}

/** An expression whose every operand is a primitive: operators on it run no user code. */
function primitive(node: Expression): boolean {
  switch (node.type) {
    case 'Literal':
      // No BigInt, no RegExp (an object: `/a/ + ''` would coerce it; acorn gives `value: null` for
      // a pattern this engine cannot build, so test `regex` itself).
      if (node.regex !== undefined || node.bigint !== undefined) return false;
      return node.value === null || typeof node.value === 'string' || typeof node.value === 'number' || typeof node.value === 'boolean';
    case 'TemplateLiteral':
      return node.expressions.length === 0;
    case 'UnaryExpression':
      return PRIMITIVE_UNARY.has(node.operator) && primitive(node.argument);
    case 'BinaryExpression':
      return PRIMITIVE_BINARY.has(node.operator) && node.left.type !== 'PrivateIdentifier' && primitive(node.left) && primitive(node.right);
    case 'LogicalExpression':
      return LOGICAL.has(node.operator) && primitive(node.left) && primitive(node.right);
    case 'ConditionalExpression':
      return primitive(node.test) && primitive(node.consequent) && primitive(node.alternate);
    case 'ParenthesizedExpression':
      return primitive(node.expression);
    default:
      return false;
  }
}
