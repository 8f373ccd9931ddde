/**
 * The single pass over a module's tree. Hand-written rather than acorn-walk because it has to
 * know, for each Identifier, whether it is a reference (so rules never see property names or
 * declared names), and keep the ancestor and scope stacks in step, at the cost of one switch per node.
 */
import type {
  AnyNode,
  AnonymousFunctionDeclaration,
  ArrowFunctionExpression,
  FunctionDeclaration,
  FunctionExpression,
  ModuleDeclaration,
  Pattern,
  Program,
  Statement,
} from 'acorn';
import type { NodeType, RuleContext } from './rule.js';
import type { Scope } from './scope.js';

export type Handler = (node: AnyNode, context: RuleContext<string>) => void;
/**
 * Active handlers by node type; `rule` indexes the per-module rule contexts. A Map because most
 * lookups miss, and a miss on a plain object also searches Object.prototype (measured ~20% of an empty walk).
 */
export type DispatchTable = ReadonlyMap<NodeType, ReadonlyArray<{ readonly rule: number; readonly handler: Handler }>>;

export class Walker {
  /** The visited node and its ancestors, root first. */
  readonly stack: AnyNode[] = [];
  readonly scopes: Scope[] = [];
  contexts: readonly RuleContext<string>[] = [];

  constructor(private readonly dispatch: DispatchTable) {}

  walk(program: Program): void {
    this.visit(program);
  }

  private enter(node: AnyNode): void {
    this.stack.push(node);
    const entries = this.dispatch.get(node.type);
    if (entries !== undefined) {
      for (let i = 0; i < entries.length; i++) entries[i]!.handler(node, this.contexts[entries[i]!.rule]!);
    }
  }

  private scoped(node: AnyNode): void {
    this.scopes.push({ node, names: undefined });
  }

  private statements(body: ReadonlyArray<Statement | ModuleDeclaration>): void {
    for (let i = 0; i < body.length; i++) this.visit(body[i]!);
  }

  /** Visit in reference position: an Identifier reached here is a read or a write of a binding. */
  visit(node: AnyNode): void {
    this.enter(node);
    switch (node.type) {
      case 'Identifier':
      case 'Literal':
      case 'ThisExpression':
      case 'TemplateElement':
      case 'Super':
      case 'MetaProperty':
      case 'PrivateIdentifier':
        // The commonest nodes are leaves: test them first, a string switch compares in order.
        break;
      case 'MemberExpression':
        this.visit(node.object);
        if (node.computed) this.visit(node.property);
        break;
      case 'CallExpression':
      case 'NewExpression':
        this.visit(node.callee);
        for (let i = 0; i < node.arguments.length; i++) this.visit(node.arguments[i]!);
        break;
      case 'ExpressionStatement':
      case 'ChainExpression':
      case 'ParenthesizedExpression':
        this.visit(node.expression);
        break;
      case 'Property':
        if (node.computed) this.visit(node.key);
        this.visit(node.value);
        break;
      case 'BinaryExpression':
      case 'LogicalExpression':
      case 'AssignmentExpression':
      case 'AssignmentPattern':
        this.visit(node.left);
        this.visit(node.right);
        break;
      case 'BlockStatement':
      case 'StaticBlock':
        this.scoped(node);
        this.statements(node.body);
        this.scopes.pop();
        break;
      case 'VariableDeclaration':
        for (const declarator of node.declarations) {
          this.enter(declarator);
          this.binding(declarator.id);
          if (declarator.init) this.visit(declarator.init);
          this.stack.pop();
        }
        break;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        this.function(node);
        break;
      case 'ReturnStatement':
      case 'YieldExpression':
        if (node.argument) this.visit(node.argument);
        break;
      case 'IfStatement':
      case 'ConditionalExpression':
        this.visit(node.test);
        this.visit(node.consequent);
        if (node.alternate) this.visit(node.alternate);
        break;
      case 'ObjectExpression':
      case 'ObjectPattern':
        for (const property of node.properties) this.visit(property);
        break;
      case 'ArrayExpression':
      case 'ArrayPattern':
        for (const element of node.elements) if (element) this.visit(element);
        break;
      case 'TemplateLiteral':
        for (let i = 0; i < node.expressions.length; i++) this.visit(node.expressions[i]!);
        break;
      case 'ThrowStatement':
      case 'UnaryExpression':
      case 'UpdateExpression':
      case 'AwaitExpression':
      case 'SpreadElement':
      case 'RestElement':
        this.visit(node.argument);
        break;
      case 'ForStatement':
        this.scoped(node);
        if (node.init) this.visit(node.init);
        if (node.test) this.visit(node.test);
        if (node.update) this.visit(node.update);
        this.visit(node.body);
        this.scopes.pop();
        break;
      case 'ForInStatement':
      case 'ForOfStatement':
        this.scoped(node);
        this.visit(node.left);
        this.visit(node.right);
        this.visit(node.body);
        this.scopes.pop();
        break;
      case 'TryStatement':
        this.visit(node.block);
        if (node.handler) {
          const handler = node.handler;
          this.enter(handler);
          this.scoped(handler);
          if (handler.param) this.binding(handler.param);
          this.enter(handler.body);
          this.statements(handler.body.body);
          this.stack.pop();
          this.scopes.pop();
          this.stack.pop();
        }
        if (node.finalizer) this.visit(node.finalizer);
        break;
      case 'SwitchStatement':
        this.visit(node.discriminant);
        this.scoped(node);
        for (const branch of node.cases) {
          this.enter(branch);
          if (branch.test) this.visit(branch.test);
          this.statements(branch.consequent);
          this.stack.pop();
        }
        this.scopes.pop();
        break;
      case 'ClassDeclaration':
      case 'ClassExpression':
        if (node.superClass) this.visit(node.superClass);
        // Only a class expression's name is scoped to its body; a declaration's lives outside.
        if (node.type === 'ClassExpression' && node.id) this.scoped(node);
        this.visit(node.body);
        if (node.type === 'ClassExpression' && node.id) this.scopes.pop();
        break;
      case 'ClassBody':
        for (const member of node.body) this.visit(member);
        break;
      case 'MethodDefinition':
      case 'PropertyDefinition':
        if (node.computed) this.visit(node.key);
        if (node.value) this.visit(node.value);
        break;
      case 'SequenceExpression':
        for (let i = 0; i < node.expressions.length; i++) this.visit(node.expressions[i]!);
        break;
      case 'TaggedTemplateExpression':
        this.visit(node.tag);
        this.visit(node.quasi);
        break;
      case 'ImportExpression':
        this.visit(node.source);
        if (node.options) this.visit(node.options);
        break;
      case 'ExportNamedDeclaration':
        // Export specifiers name bindings checked by the parser; only a declaration holds code.
        if (node.declaration) this.visit(node.declaration);
        break;
      case 'ExportDefaultDeclaration':
        this.visit(node.declaration);
        break;
      case 'WhileStatement':
        this.visit(node.test);
        this.visit(node.body);
        break;
      case 'DoWhileStatement':
        this.visit(node.body);
        this.visit(node.test);
        break;
      case 'LabeledStatement':
        this.visit(node.body);
        break;
      case 'WithStatement':
        this.visit(node.object);
        this.visit(node.body);
        break;
      case 'Program':
        this.scoped(node);
        this.statements(node.body);
        this.scopes.pop();
        break;
      default:
        // Statements without children, and import/export-all declarations.
        break;
    }
    this.stack.pop();
  }

  private function(node: FunctionDeclaration | AnonymousFunctionDeclaration | FunctionExpression | ArrowFunctionExpression): void {
    this.scoped(node);
    for (const param of node.params) this.binding(param);
    if (node.body.type === 'BlockStatement') {
      // The body shares the function's scope: parameters and top-level declarations clash.
      this.enter(node.body);
      this.statements(node.body.body);
      this.stack.pop();
    } else {
      this.visit(node.body);
    }
    this.scopes.pop();
  }

  /**
   * Visit a declaration's pattern: the names it declares are not references, but its default
   * values and computed keys are ordinary code.
   */
  private binding(pattern: Pattern): void {
    switch (pattern.type) {
      case 'Identifier':
        return;
      case 'ObjectPattern':
        this.enter(pattern);
        for (const property of pattern.properties) {
          if (property.type === 'RestElement') {
            this.binding(property.argument);
            continue;
          }
          this.enter(property);
          if (property.computed) this.visit(property.key);
          this.binding(property.value);
          this.stack.pop();
        }
        this.stack.pop();
        return;
      case 'ArrayPattern':
        this.enter(pattern);
        for (const element of pattern.elements) if (element) this.binding(element);
        this.stack.pop();
        return;
      case 'AssignmentPattern':
        this.enter(pattern);
        this.binding(pattern.left);
        this.visit(pattern.right);
        this.stack.pop();
        return;
      case 'RestElement':
        this.binding(pattern.argument);
        return;
      case 'MemberExpression':
        this.visit(pattern);
        return;
    }
  }
}
