/** The static policy: ESLint-style rules run over each module's tree before it is linked. */
export { ANALYSIS_LIMIT, checkModule, resolvePolicy, type ResolvedPolicy } from './engine.js';
export { formatDiagnostic, type FormatOptions } from './format.js';
export { presets, type PresetSeverities } from './presets.js';
export { defineRule, type RuleContext, type RuleDefinition, type RuleVisitor } from './rule.js';
export { rules } from './rules/index.js';
export { specifierKind, type SpecifierKind } from './specifier.js';
export type { Diagnostic, PolicyEnvironment, PolicyOptions, PresetName, Severity } from './types.js';
