/**
 * `import.meta` only carries what the sandbox provides (typically `url`). Reading anything
 * else (`import.meta.env`, `.dirname`, `.resolve`, `.hot`) yields `undefined` and fails later,
 * far from the cause; this says so at the line that assumed it.
 *
 * Reported: `import.meta.x`, `import.meta['x']` and `const { x } = import.meta` for any `x`
 * not in the environment's `importMetaProperties`. Not reported: passing `import.meta` around,
 * provided properties, and a dynamic `import.meta[key]` (only provided properties exist).
 * A warning in `recommended`: it is a portability mistake, not an attack.
 */
import type { MemberExpression, VariableDeclarator } from 'acorn';
import { memberKey, propertyKey, unwrap } from '../ast.js';
import { defineRule, type RuleContext } from '../rule.js';

type Message = 'unknown';

function isImportMeta(node: MemberExpression['object'] | null | undefined): boolean {
  if (!node) return false;
  const target = unwrap(node);
  return target.type === 'MetaProperty' && target.meta.name === 'import';
}

function check(name: string | undefined, at: Parameters<RuleContext<Message>['report']>[0], context: RuleContext<Message>): void {
  const provided = context.env.importMetaProperties;
  if (name === undefined || provided.includes(name)) return;
  context.report(at, 'unknown', { name, provided: provided.length > 0 ? provided.join(', ') : 'none' });
}

function member(node: MemberExpression, context: RuleContext<Message>): void {
  if (isImportMeta(node.object)) check(memberKey(node), node.property, context);
}

function declarator(node: VariableDeclarator, context: RuleContext<Message>): void {
  if (node.id.type !== 'ObjectPattern' || !isImportMeta(node.init)) return;
  for (const property of node.id.properties) {
    if (property.type === 'Property') check(propertyKey(property), property.key, context);
  }
}

export const noUnknownImportMeta = defineRule<Message>({
  id: 'no-unknown-import-meta',
  description: 'Disallow `import.meta` properties the sandbox does not provide.',
  defaults: { recommended: 'warn', strict: 'error' },
  messages: { unknown: '`import.meta.{{name}}` is not provided in this sandbox (provided: {{provided}}).' },
  visitor: { MemberExpression: member, VariableDeclarator: declarator },
});
