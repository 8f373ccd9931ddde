import { readFileSync } from 'node:fs';
import { loadParser, parseModule } from '../../src/analyze/parse.js';
import { checkModule, resolvePolicy, rules } from '../../src/analyze/policy/index.js';
import type { Diagnostic, PolicyEnvironment, PolicyOptions, Severity } from '../../src/analyze/policy/index.js';

// The load step loads acorn at its first miss; these tests parse directly.
await loadParser();

/** The allow-list the corpus and the fixtures are written against. */
export const ALLOWED = new Set(['std:path', 'std:config', 'app:api']);

export const env: PolicyEnvironment = {
  isAllowedSpecifier: (specifier) => ALLOWED.has(specifier),
  importMetaProperties: ['url'],
};

export function check(source: string, options?: PolicyOptions, environment: PolicyEnvironment = env): Diagnostic[] {
  return checkModule(parseModule(source), source, 'file:///sandbox/test.mjs', resolvePolicy(options), environment);
}

/** Options with every rule off except `ruleId`. */
export function only(ruleId: string, severity: Severity = 'error'): PolicyOptions {
  return { rules: Object.fromEntries(rules.map((rule) => [rule.id, rule.id === ruleId ? severity : 'off'])) };
}

/** The diagnostics of one rule alone on `source`. */
export function lint(ruleId: string, source: string, environment: PolicyEnvironment = env): Diagnostic[] {
  return check(source, only(ruleId), environment);
}

/** `[line, column]` pairs, both 1-based as in Diagnostic. */
export const positions = (diagnostics: Diagnostic[]): Array<[number, number]> => diagnostics.map((d) => [d.line, d.column]);

export function readFixture(path: string): string {
  return readFileSync(new URL(`../../fixtures/${path}`, import.meta.url), 'utf8');
}

/**
 * Lines a fixture marks with `// @expect` (or `// @expect N`), as line number → count.
 * Unmarked lines must produce nothing.
 */
export function expectedLines(source: string): Map<number, number> {
  const expected = new Map<number, number>();
  source.split('\n').forEach((text, index) => {
    const match = /\/\/ @expect(?: (\d+))?\s*$/.exec(text);
    if (match) expected.set(index + 1, Number(match[1] ?? 1));
  });
  return expected;
}

export function countByLine(diagnostics: Diagnostic[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const d of diagnostics) counts.set(d.line, (counts.get(d.line) ?? 0) + 1);
  return counts;
}
