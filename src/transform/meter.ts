/**
 * The metering rewrite: a budget check wherever code can repeat, so that a turn entered without a
 * watchdog thread still ends when its time is up. Every loop iteration checks at the top of its
 * body (outside any `try` of that body, so a `finally` that `continue`s meets the check again),
 * and so does every entry into a function, method, accessor, arrow, class field initialiser and
 * static block. Recursion, callbacks and microtasks are all function entries.
 *
 * The check counts down a module-scoped `var` (user code can neither name it nor reach it: names
 * with the reserved prefix are refused, and a module's scope is not the global object) and asks
 * the realm's locked refill function for a new count when it runs out; the refill reads the clock
 * and throws once the turn is over, for good. `--n >= 0 || (n = refill())` is also true of a
 * count that is still `undefined` (a hoisted function called before its module ran): NaN refills.
 *
 * Like guard.ts, insertions never add lines; each becomes a column edit for the stack formatter.
 * Brackets it adds carry METER_MARK, so the realm's `Function.prototype.toString` can give a
 * function's text back as the user wrote it (realm-source/meter.ts).
 */
import type { ArrowFunctionExpression, Node, Program, PropertyDefinition, StaticBlock, Statement } from 'acorn';
import { simple } from 'acorn-walk';
import { METER_CHECK, METER_COUNT_NAME, METER_MARK } from '../constants.js';

/** One piece of text to insert at a source offset. Closers go before earlier insertions at the same offset. */
export interface Insertion {
  at: number;
  text: string;
  closer: boolean;
  /** Start of the node it belongs to: among closers at one offset, the outer one is applied first. */
  from: number;
}

const CHECK = METER_CHECK;
const STATEMENT = `${CHECK};`;
const DECLARATION = `var ${METER_COUNT_NAME};`;

type Loop = Node & { body: Statement };
type FunctionLike = Node & { body: Node; expression?: boolean };

/**
 * Where the checks go, outermost first (the order in which openers must be applied). Empty when
 * the module has nothing that can repeat: it then needs no counter either.
 */
export function meterInsertions(source: string, program: Program): Insertion[] {
  const out: Insertion[] = [];
  const loop = (node: Node) => {
    const body = (node as Loop).body;
    if (body.type === 'BlockStatement') {
      out.push({ at: body.start + 1, text: STATEMENT, closer: false, from: node.start });
    } else {
      out.push(
        { at: body.start, text: `{${METER_MARK}${STATEMENT}`, closer: false, from: node.start },
        { at: body.end, text: `${METER_MARK}}`, closer: true, from: node.start },
      );
    }
  };
  const fn = (node: Node) => {
    const body = (node as FunctionLike).body;
    if (body.type === 'BlockStatement') {
      const directivesEnd = afterDirectives(body);
      // After a directive, a `;` first: the directive may rely on ASI (`'use strict'` then a newline).
      out.push(
        directivesEnd === undefined
          ? { at: body.start + 1, text: STATEMENT, closer: false, from: node.start }
          : { at: directivesEnd, text: `;${STATEMENT}`, closer: false, from: node.start },
      );
    } else {
      // An arrow's expression body: the check, then the expression, as one parenthesised sequence.
      out.push(
        { at: body.start, text: `(${METER_MARK}${CHECK},`, closer: false, from: node.start },
        { at: body.end, text: `${METER_MARK})`, closer: true, from: node.start },
      );
    }
  };
  simple(program, {
    ForStatement: loop,
    ForInStatement: loop,
    ForOfStatement: loop,
    WhileStatement: loop,
    DoWhileStatement: loop,
    FunctionDeclaration: fn,
    FunctionExpression: fn,
    ArrowFunctionExpression: (node: ArrowFunctionExpression) => fn(node),
    PropertyDefinition: (node: PropertyDefinition) => {
      const value = node.value;
      if (value === null || value === undefined) return;
      out.push(
        { at: value.start, text: `(${METER_MARK}${CHECK},`, closer: false, from: node.start },
        { at: value.end, text: `${METER_MARK})`, closer: true, from: node.start },
      );
    },
    StaticBlock: (node: StaticBlock) => {
      // Before the closing brace (the leading `;` ends a last statement left to ASI): the block's
      // own statements are checked where they repeat.
      out.push({ at: node.end - 1, text: `;${STATEMENT}`, closer: true, from: node.start });
    },
  });
  if (out.length === 0) return out;
  // In source order; at one offset, outer nodes first (see Insertion.from).
  out.sort((a, b) => a.at - b.at || a.from - b.from);
  // A script (CommonJS) keeps its 'use strict': the declaration goes after its directives.
  const directivesEnd = program.sourceType === 'script' ? afterDirectives(program) : undefined;
  out.unshift(
    directivesEnd === undefined
      ? { at: declarationOffset(source), text: DECLARATION, closer: false, from: -1 }
      : { at: directivesEnd, text: `;${DECLARATION}`, closer: false, from: -1 },
  );
  return out;
}

/**
 * Where the directive prologue of a body ends (after `'use strict';`), or undefined when it has
 * none: a check inserted before a directive would make it an ordinary expression, and a sloppy
 * CommonJS function that asked to be strict would silently not be.
 */
function afterDirectives(body: Node): number | undefined {
  let end: number | undefined;
  for (const statement of (body as Node & { body: Array<Node & { directive?: string }> }).body) {
    if (statement.type !== 'ExpressionStatement' || statement.directive === undefined) break;
    end = statement.end;
  }
  return end;
}

/** The counter's declaration opens the module, after a hashbang line if there is one. */
function declarationOffset(source: string): number {
  if (!source.startsWith('#!')) return 0;
  const end = source.search(/\r\n|\r|\n|\u2028|\u2029/);
  return end === -1 ? source.length : end + (source.startsWith('\r\n', end) ? 2 : 1);
}
