/**
 * May this code bring a BigInt into a metered realm (run/realm-source/tame-bigint.ts)? A text scan,
 * not a parse: it answers for the code as compiled, comments and strings included, and may say yes
 * where nothing happens (that only costs the realm its unwatched turns). It must never say no to
 * a BigInt literal, which no builtin the realm can take away makes. A builtin named by
 * computation is not its concern: the realm keeps those away until some code names them.
 */

/** A BigInt literal: digits (decimal, hex, octal or binary, with separators) ending in `n`, not inside a name. */
const LITERAL = /(?:^|[^\w$\\])(?:0[xX][\da-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|\d[\d_]*)n(?![\w$\\])/;
/** The builtins that make BigInts: BigInt, BigInt64Array, BigUint64Array, DataView's get/setBig(U)Int64, Temporal. */
const NAMES = /Big(?:U?[Ii]nt)|Temporal/;

export function mayUseBigInt(code: string): boolean {
  return NAMES.test(code) || LITERAL.test(code);
}

/** Verdicts by the cached analysis the code came from: a new sandbox over unchanged files scans nothing again. */
const verdicts = new WeakMap<object, boolean>();

/** mayUseBigInt of `code`, remembered with `analysis` (the object `code` belongs to), if any. */
export function codeMayUseBigInt(code: string, analysis: object | undefined): boolean {
  if (analysis === undefined) return mayUseBigInt(code);
  let verdict = verdicts.get(analysis);
  if (verdict === undefined) verdicts.set(analysis, (verdict = mayUseBigInt(code)));
  return verdict;
}
