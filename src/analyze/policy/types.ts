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

// A finding is an error's payload too (PolicyError), so its shape lives with the errors, below the policy.
export type { Diagnostic } from '../../errors/diagnostic.js';

/** What the loader tells the policy about the sandbox the module will run in. */
export interface PolicyEnvironment {
  /** True when a bare/absolute-URL specifier is in the sandbox's allow-list (`modules`). */
  isAllowedSpecifier(specifier: string): boolean;
  /** `import.meta` properties the sandbox provides (e.g. `['url']`). */
  importMetaProperties: readonly string[];
  /** Host-named globals the sandbox makes itself: `process` (only `process.env`), `global` and `self` when it has packages. */
  sandboxGlobals?: readonly string[];
  /** The realm answers `Function('return this')` with its globalThis (a sandbox with packages). */
  globalDetection?: boolean;
  /** The file is CommonJS: its `require('x')` calls are imports too. */
  commonjs?: boolean;
}
