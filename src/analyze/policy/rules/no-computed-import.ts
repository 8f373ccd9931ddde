/**
 * A dynamic `import()` whose specifier is computed cannot be checked before the module runs:
 * the allow-list still holds at run time, but the early, located error is lost and the
 * module's dependencies cannot be known (or preloaded) ahead of time.
 *
 * Reported: `import(name)`, `` import(`./locale/${lang}.mjs`) ``, `import(base + file)`.
 * Not reported: `import('./x.mjs')`, `` import(`./x.mjs`) `` (no substitutions), and
 * `import('./a' + '.mjs')` (a concatenation of literals is still known in advance).
 *
 * Nor is a computed `require(name)` in a CommonJS file, on purpose: unlike `import()` it can load
 * nothing new. Literal `require()` calls are loaded, analysed and checked with the graph, and a
 * computed one reaches only a file loaded already (link/commonjs.ts refuses any other with a
 * ResolveError), through the same resolver, allow-list and declared dependencies. So the graph is
 * known ahead either way, and the rule's default `error` would refuse packages that run (an
 * optional dependency looked up by name inside a `try`) without closing anything.
 */
import type { ImportExpression } from 'acorn';
import { staticString } from '../ast.js';
import { defineRule, type RuleContext } from '../rule.js';

function dynamicImport(node: ImportExpression, context: RuleContext<'computed'>): void {
  if (staticString(node.source) === undefined) context.report(node.source, 'computed');
}

export const noComputedImport = defineRule<'computed'>({
  id: 'no-computed-import',
  description: 'Disallow `import()` with a specifier computed at run time.',
  defaults: { recommended: 'error', strict: 'error' },
  messages: {
    computed: '`import()` with a computed specifier cannot be checked before the module runs; use a string literal.',
  },
  visitor: { ImportExpression: dynamicImport },
});
