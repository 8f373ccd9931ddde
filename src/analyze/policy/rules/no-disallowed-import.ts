/**
 * Bare names (`fs`, `lodash`, `#internal`) and URLs (`node:fs`, `file:///etc/passwd`, `data:…`,
 * `https://…`, `//host/x`) reach outside the sandbox's root; only the sandbox's allow-list may
 * grant them. Relative (`./x.mjs`, `../x.mjs`) and absolute (`/x.mjs`) paths are files, which
 * the resolver confines to `root`; they are not this rule's concern.
 *
 * Reported at the specifier string of `import … from`, `export … from`, `import 'x'` and
 * `import('x')` (a literal or literal-only concatenation; computed ones are no-computed-import's),
 * and in a CommonJS file of a package, of `require('x')` (the wrapper's `require`, not a local one).
 */
import type {
  CallExpression,
  Expression,
  ExportAllDeclaration,
  ExportNamedDeclaration,
  ImportDeclaration,
  ImportExpression,
  Literal,
} from 'acorn';
import { staticString } from '../ast.js';
import { defineRule, type RuleContext } from '../rule.js';
import { specifierKind } from '../specifier.js';

type Message = 'bare' | 'url';

function check(source: Expression | Literal, context: RuleContext<Message>): void {
  const specifier = staticString(source);
  if (specifier === undefined) return;
  const kind = specifierKind(specifier);
  if ((kind === 'bare' || kind === 'url') && !context.env.isAllowedSpecifier(specifier)) {
    context.report(source, kind, { specifier });
  }
}

function declaration(node: ImportDeclaration | ExportNamedDeclaration | ExportAllDeclaration, context: RuleContext<Message>): void {
  if (node.source) check(node.source, context);
}

function dynamicImport(node: ImportExpression, context: RuleContext<Message>): void {
  check(node.source, context);
}

function requireCall(node: CallExpression, context: RuleContext<Message>): void {
  if (context.env.commonjs !== true || node.callee.type !== 'Identifier' || node.callee.name !== 'require') return;
  const [source] = node.arguments;
  if (node.arguments.length === 1 && source !== undefined && source.type !== 'SpreadElement' && context.isFree('require')) {
    check(source, context);
  }
}

export const noDisallowedImport = defineRule<Message>({
  id: 'no-disallowed-import',
  description: 'Disallow importing bare specifiers and URLs that are not in the sandbox allow-list.',
  defaults: { recommended: 'error', strict: 'error' },
  messages: {
    bare: '"{{specifier}}" is not in the sandbox allow-list; import files by relative path or add the module to `modules`.',
    url: '"{{specifier}}" is a URL outside the sandbox allow-list; only relative files under the root and allow-listed modules can be imported.',
  },
  visitor: {
    ImportDeclaration: declaration,
    ExportNamedDeclaration: declaration,
    ExportAllDeclaration: declaration,
    ImportExpression: dynamicImport,
    CallExpression: requireCall,
  },
});
