/**
 * One finding of the static policy (analyze/policy/), located in the user's original source. It is
 * declared here, with the errors, because `PolicyError` carries a list of them and the errors are
 * the lowest layer that needs the shape.
 */
export interface Diagnostic {
  ruleId: string;
  /** A rule set to 'warn' or 'error' (a Severity other than 'off'). */
  severity: 'warn' | 'error';
  message: string;
  /** Module URL (`file:///...`). */
  file: string;
  /** 1-based line of the start of the reported range. */
  line: number;
  /**
   * 1-based column of the start (ESLint's convention, and what `file:line:col` prints everywhere in
   * esm-sandbox, `PolicyError` included); subtract 1 for an index into the line's text.
   */
  column: number;
  /** 1-based line of the end of the range. */
  endLine: number;
  /** 1-based column just past the end of the range (exclusive): `endColumn - column` is its length on one line. */
  endColumn: number;
  /** Code frame around the location, without colours. */
  frame: string;
}
