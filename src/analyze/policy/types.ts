/**
 * The policy's public shapes. A rule looks at one module's syntax tree and reports
 * diagnostics; the engine applies the preset and the per-rule overrides.
 */
export type Severity = 'off' | 'warn' | 'error';
export type PresetName = 'recommended' | 'strict';

/** What `createSandbox({ policy })` and `esm-sandbox check` accept. */
export interface PolicyOptions {
  /** Starting set of severities. Default `recommended`. */
  preset?: PresetName;
  /** Per-rule overrides by rule id, e.g. `{ 'no-computed-import': 'warn' }`. */
  rules?: Record<string, Severity>;
}

/** One finding, located in the user's original source. */
export interface Diagnostic {
  ruleId: string;
  severity: Exclude<Severity, 'off'>;
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

/** What the loader tells the policy about the sandbox the module will run in. */
export interface PolicyEnvironment {
  /** True when a bare/absolute-URL specifier is in the sandbox's allow-list (`modules`). */
  isAllowedSpecifier(specifier: string): boolean;
  /** `import.meta` properties the sandbox provides (e.g. `['url']`). */
  importMetaProperties: readonly string[];
}
