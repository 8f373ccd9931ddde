/**
 * A `debugger` statement pauses the whole host process when an inspector is attached, and is
 * never meant to ship. It is a warning in `recommended` (harmless without an inspector) and an
 * error in `strict`.
 */
import type { DebuggerStatement } from 'acorn';
import { defineRule, type RuleContext } from '../rule.js';

function statement(node: DebuggerStatement, context: RuleContext<'debugger'>): void {
  context.report(node, 'debugger');
}

export const noDebugger = defineRule<'debugger'>({
  id: 'no-debugger',
  description: 'Disallow `debugger` statements.',
  defaults: { recommended: 'warn', strict: 'error' },
  messages: { debugger: '`debugger` pauses the host process when an inspector is attached.' },
  visitor: { DebuggerStatement: statement },
});
