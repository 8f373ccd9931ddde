/**
 * Two questions the run step asks of code as compiled, answered by a text scan, not a parse:
 * comments and strings count, so either may say yes where nothing happens.
 *
 * - `bigint`: may the code bring a BigInt into a metered realm (run/realm-source/tame-bigint.ts)?
 *   A yes costs the realm its unwatched turns. It must never say no to a BigInt literal, which no
 *   builtin the realm can take away makes; a builtin named by computation is not its concern (the
 *   realm keeps those away until some code names them). A security answer.
 * - `regexp`: may evaluating the code run regular expressions? A yes keeps Node's watchdog on the
 *   evaluation, under which matching costs nothing more; a wrong no only makes each match ask for a
 *   watchdog of its own (~60 µs, run/watchdog.ts). A speed answer.
 */

/** A BigInt literal: digits (decimal, hex, octal or binary, with separators) ending in `n`, not inside a name. */
const BIGINT_LITERAL = /(?:^|[^\w$\\])(?:0[xX][\da-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|\d[\d_]*)n(?![\w$\\])/;
/** The builtins that make BigInts: BigInt, BigInt64Array, BigUint64Array, DataView's get/setBig(U)Int64, Temporal. */
const BIGINT_NAMES = /Big(?:U?[Ii]nt)|Temporal/;
/**
 * A slash where a regular expression literal can start (after punctuation or a keyword, not after
 * a name, number or closing bracket, where it divides), or a name that reaches the engine.
 */
const REGEXP =
  /(?:^|[(,=:[!&|?{};~+\-*%<>^]|\b(?:return|typeof|case|in|of|void|yield|await|delete|throw|new|else|do))\s*\/[^/*\s]|RegExp|\.(?:match|matchAll|search)\s*\(/;

export interface CodeTraits {
  bigint: boolean;
  regexp: boolean;
}

export function traitsOf(code: string): CodeTraits {
  return { bigint: BIGINT_NAMES.test(code) || BIGINT_LITERAL.test(code), regexp: REGEXP.test(code) };
}

/** Traits by the cached analysis the code came from: a new sandbox over unchanged files scans nothing again. */
const remembered = new WeakMap<object, CodeTraits>();

/** traitsOf `code`, remembered with `analysis` (the object `code` belongs to), if any. */
export function codeTraits(code: string, analysis: object | undefined): CodeTraits {
  if (analysis === undefined) return traitsOf(code);
  let traits = remembered.get(analysis);
  if (traits === undefined) remembered.set(analysis, (traits = traitsOf(code)));
  return traits;
}
