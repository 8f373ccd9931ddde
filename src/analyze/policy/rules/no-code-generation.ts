/**
 * `eval` and `Function` compile strings into code at run time, code the analysis never saw. The
 * sandbox's realm refuses that itself (code generation from strings is off: an EvalError, with the
 * policy on or off), so this is a warning in `recommended`, telling early that such a call will
 * throw, and an error in `strict`. It is not what keeps code out: the realm is.
 *
 * Reported: every reference to a free `eval` (direct and indirect eval alike), and calls of a free
 * `Function` (`Function(…)`, `new Function(…)`, `Function.call/apply/bind`, a tagged template); the
 * same off `globalThis`.
 *
 * Not reported: `Function('return this')` (one string literal whose body is exactly `return this`,
 * see constants.ts) in a sandbox with packages, whose realm answers it with its own globalThis
 * (docs/SEMANTICS.md); reading `Function` (`Function.prototype.toString.call(C)`, `x instanceof
 * Function`, `const F = Function`); the operand of `typeof`; locals that shadow either name;
 * `.constructor` calls (rule no-constructor-chain); strings and comments.
 */
import type { AnyNode, Identifier, MemberExpression } from 'acorn';
import { isGlobalThis, isTypeofOperand, memberKey, unwrap, usage } from '../ast.js';
import { GLOBAL_DETECTION_BODY } from '../../../constants.js';
import { defineRule, type RuleContext } from '../rule.js';

type Message = 'eval' | 'function';

const globalBody = new RegExp(GLOBAL_DETECTION_BODY);

/** The call or `new` that runs the visited `Function`, if any: `F(…)`, `new F(…)`, `F.call(…)`, ``F`…` ``. */
function runsFunction(context: RuleContext<Message>): { args: readonly AnyNode[] | undefined } | undefined {
  const { parent, child } = usage(context, true);
  if (parent === undefined) return undefined;
  if ((parent.type === 'CallExpression' || parent.type === 'NewExpression') && parent.callee === child) return { args: parent.arguments };
  if (parent.type === 'TaggedTemplateExpression' && parent.tag === child) return { args: undefined };
  if (parent.type === 'MemberExpression' && parent.object === child && ['call', 'apply', 'bind'].includes(memberKey(parent) ?? ''))
    return { args: undefined };
  return undefined;
}

/** `Function('return this')` where the realm answers it. */
function isGlobalDetection(args: readonly AnyNode[] | undefined, context: RuleContext<Message>): boolean {
  if (context.env.globalDetection !== true || args?.length !== 1) return false;
  const body = unwrap(args[0]!);
  return body.type === 'Literal' && typeof body.value === 'string' && globalBody.test(body.value);
}

function check(node: Identifier | MemberExpression, name: string, context: RuleContext<Message>): void {
  if (isTypeofOperand(context)) return;
  if (name === 'eval') return context.report(node, 'eval');
  const run = runsFunction(context);
  if (run !== undefined && !isGlobalDetection(run.args, context)) context.report(node, 'function');
}

export const noCodeGeneration = defineRule<Message>({
  id: 'no-code-generation',
  description: 'Warn about eval and Function calls, which the sandbox realm refuses at run time.',
  defaults: { recommended: 'warn', strict: 'error' },
  messages: {
    eval: '`eval` compiles code at run time; the sandbox refuses it (EvalError).',
    function:
      "`Function` compiles code at run time; the sandbox refuses it (EvalError). Only `Function('return this')` is answered, in a sandbox with packages.",
  },
  visitor: {
    Identifier(node, context) {
      if ((node.name === 'eval' || node.name === 'Function') && context.isFree(node.name)) check(node, node.name, context);
    },
    MemberExpression(node, context) {
      const key = memberKey(node);
      if ((key === 'eval' || key === 'Function') && isGlobalThis(node.object, context)) check(node, key, context);
    },
  },
});
