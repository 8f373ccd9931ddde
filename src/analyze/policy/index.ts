/**
 * The static policy: ESLint-style rules run over each module's tree before it is linked. What
 * its users (the tests, the benchmarks) take from it; a rule imports rule.js itself.
 */
export { ANALYSIS_LIMIT, checkModule, resolvePolicy } from './engine.js';
export { formatDiagnostic } from './format.js';
export { presets } from './presets.js';
export { rules } from './rules/index.js';
export { specifierKind } from './specifier.js';
export type { Diagnostic, PolicyEnvironment, PolicyOptions, Severity } from './types.js';
