/**
 * Cheap scope tracking. The walk pushes one entry per scope-creating node; the names a scope
 * declares are only collected the first time a rule asks about a name, because most scopes
 * are never asked (rules only ask about a handful of global names).
 */
import type { AnyNode, ModuleDeclaration, Pattern, Statement } from 'acorn';

export interface Scope {
  readonly node: AnyNode;
  /** Filled on first lookup. */
  names: Set<string> | undefined;
}

/** Every name `node`'s scope declares, hoisting included (`var` and functions anywhere before use). */
export function declaredNames(node: AnyNode): Set<string> {
  const names = new Set<string>();
  switch (node.type) {
    case 'Program':
      lexical(node.body, names);
      vars(node.body, names);
      break;
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      for (const param of node.params) bound(param, names);
      // A function expression's own name is visible inside it only.
      if (node.type === 'FunctionExpression' && node.id) names.add(node.id.name);
      if (node.body.type === 'BlockStatement') {
        lexical(node.body.body, names);
        vars(node.body.body, names);
      }
      break;
    case 'StaticBlock':
      lexical(node.body, names);
      vars(node.body, names);
      break;
    case 'BlockStatement':
      lexical(node.body, names);
      break;
    case 'SwitchStatement':
      for (const branch of node.cases) lexical(branch.consequent, names);
      break;
    case 'ForStatement':
      if (node.init?.type === 'VariableDeclaration') declarators(node.init.declarations, names);
      break;
    case 'ForInStatement':
    case 'ForOfStatement':
      if (node.left.type === 'VariableDeclaration') declarators(node.left.declarations, names);
      break;
    case 'CatchClause':
      if (node.param) bound(node.param, names);
      lexical(node.body.body, names);
      break;
    case 'ClassExpression':
    case 'ClassDeclaration':
      if (node.id) names.add(node.id.name);
      break;
    default:
      break;
  }
  return names;
}

/** Block-scoped declarations made directly in a statement list (and imports, at module level). */
function lexical(body: ReadonlyArray<Statement | ModuleDeclaration>, names: Set<string>): void {
  for (const statement of body) {
    const declaration =
      statement.type === 'ExportNamedDeclaration' || statement.type === 'ExportDefaultDeclaration' ? statement.declaration : statement;
    if (!declaration) continue;
    switch (declaration.type) {
      case 'VariableDeclaration':
        if (declaration.kind !== 'var') declarators(declaration.declarations, names);
        break;
      case 'FunctionDeclaration':
      case 'ClassDeclaration':
        if (declaration.id) names.add(declaration.id.name);
        break;
      case 'ImportDeclaration':
        for (const specifier of declaration.specifiers) names.add(specifier.local.name);
        break;
      default:
        break;
    }
  }
}

/** `var` declarations anywhere in a function body, not descending into nested functions. */
function vars(body: ReadonlyArray<Statement | ModuleDeclaration>, names: Set<string>): void {
  for (const statement of body) varsIn(statement, names);
}

function varsIn(node: Statement | ModuleDeclaration | null | undefined, names: Set<string>): void {
  if (!node) return;
  switch (node.type) {
    case 'VariableDeclaration':
      if (node.kind === 'var') declarators(node.declarations, names);
      break;
    case 'ExportNamedDeclaration':
      if (node.declaration?.type === 'VariableDeclaration') varsIn(node.declaration, names);
      break;
    case 'BlockStatement':
      vars(node.body, names);
      break;
    case 'IfStatement':
      varsIn(node.consequent, names);
      varsIn(node.alternate, names);
      break;
    case 'ForStatement':
      if (node.init?.type === 'VariableDeclaration') varsIn(node.init, names);
      varsIn(node.body, names);
      break;
    case 'ForInStatement':
    case 'ForOfStatement':
      if (node.left.type === 'VariableDeclaration') varsIn(node.left, names);
      varsIn(node.body, names);
      break;
    case 'WhileStatement':
    case 'DoWhileStatement':
    case 'LabeledStatement':
    case 'WithStatement':
      varsIn(node.body, names);
      break;
    case 'SwitchStatement':
      for (const branch of node.cases) vars(branch.consequent, names);
      break;
    case 'TryStatement':
      varsIn(node.block, names);
      if (node.handler) varsIn(node.handler.body, names);
      varsIn(node.finalizer, names);
      break;
    default:
      break;
  }
}

function declarators(list: ReadonlyArray<{ id: Pattern }>, names: Set<string>): void {
  for (const declarator of list) bound(declarator.id, names);
}

/** The names a binding pattern declares. */
export function bound(pattern: Pattern, names: Set<string>): void {
  switch (pattern.type) {
    case 'Identifier':
      names.add(pattern.name);
      break;
    case 'ObjectPattern':
      for (const property of pattern.properties) bound(property.type === 'RestElement' ? property.argument : property.value, names);
      break;
    case 'ArrayPattern':
      for (const element of pattern.elements) if (element) bound(element, names);
      break;
    case 'AssignmentPattern':
      bound(pattern.left, names);
      break;
    case 'RestElement':
      bound(pattern.argument, names);
      break;
    default:
      // MemberExpression only appears in assignment targets, never in declarations.
      break;
  }
}

/** The innermost scope declaring `name`, or undefined when the name is free (a global). */
export function lookup(scopes: readonly Scope[], name: string): Scope | undefined {
  for (let i = scopes.length - 1; i >= 0; i--) {
    const scope = scopes[i]!;
    scope.names ??= declaredNames(scope.node);
    if (scope.names.has(name)) return scope;
  }
  return undefined;
}
