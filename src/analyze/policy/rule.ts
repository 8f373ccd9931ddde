/**
 * What a policy rule is made of, ESLint style: an id, a description, a severity per preset,
 * message templates, and a visitor of node types that the engine calls during its single walk.
 */
import type { AnyNode, Node } from 'acorn';
import type { PolicyEnvironment, PresetName, Severity } from './types.js';

export type NodeType = AnyNode['type'];
export type NodeOf<T extends NodeType> = Extract<AnyNode, { type: T }>;

/**
 * Handlers by node type. `Identifier` fires only for references (reads and writes of a
 * binding, including assignment targets); property names, labels, declared names and
 * import/export names are never visited, so a rule never has to re-derive that.
 */
export type RuleVisitor<M extends string = string> = {
  [T in NodeType]?: (node: NodeOf<T>, context: RuleContext<M>) => void;
};

/** What a handler can ask about the node being visited and where it can report. */
export interface RuleContext<M extends string = string> {
  readonly env: PolicyEnvironment;
  /**
   * The node `depth` levels above the one being visited (0 = itself, 1 = parent), or undefined past the root.
   * The walk keeps every visited node on a stack, so this is an array read.
   */
  ancestor(depth: number): AnyNode | undefined;
  /** True when `name` is not declared in any scope around the visited node (hoisting included). */
  isFree(name: string): boolean;
  /** The node that owns the scope declaring `name` (a function, block, `for`, Program...), if any. */
  declaringScope(name: string): AnyNode | undefined;
  /** Report `node`'s range with the message `messageId`, `{{key}}` placeholders filled from `data`. */
  report(node: Node, messageId: M, data?: Readonly<Record<string, string>>): void;
}

export interface RuleDefinition<M extends string = string> {
  id: string;
  description: string;
  /** Severity of the rule in each preset. */
  defaults: Readonly<Record<PresetName, Severity>>;
  /** Message templates by id; `{{name}}` is filled from the report's data. */
  messages: Readonly<Record<M, string>>;
  visitor: RuleVisitor<M>;
}

/** Identity helper that lets TypeScript check a rule's message ids against its `messages`. */
export function defineRule<M extends string>(rule: RuleDefinition<M>): RuleDefinition<M> {
  return rule;
}
