/**
 * The two starting points. `recommended` errors on what reaches host objects, changes shared
 * built-ins or escapes the allow-list, and warns on portability slips; `strict` also refuses
 * data-driven property access and makes every warning an error. Each rule file says where it
 * stands in both, so this is derived rather than written twice.
 */
import { rules } from './rules/index.js';
import type { PresetName, Severity } from './types.js';

export type PresetSeverities = Readonly<Record<string, Severity>>;

function preset(name: PresetName): PresetSeverities {
  return Object.freeze(Object.fromEntries(rules.map((rule) => [rule.id, rule.defaults[name]])));
}

export const presets: Readonly<Record<PresetName, PresetSeverities>> = Object.freeze({
  recommended: preset('recommended'),
  strict: preset('strict'),
});
