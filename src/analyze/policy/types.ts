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
  /** 1-based. */
  line: number;
  /** 0-based, as acorn and V8 report columns internally; printed 1-based as `file:line:col`. */
  column: number;
  endLine: number;
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
