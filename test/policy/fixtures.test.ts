import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rules } from '../../src/analyze/policy/index.js';
import { countByLine, expectedLines, lint, readFixture } from './helpers.js';

const fixtures = readdirSync(new URL('../../fixtures/policy/', import.meta.url)).filter((name) => name.endsWith('.mjs'));

describe('annotated attack fixtures (fixtures/policy/<rule-id>.mjs)', () => {
  it('has one fixture per rule', () => {
    expect(fixtures.map((name) => name.replace(/\.mjs$/, '')).sort()).toEqual(rules.map((rule) => rule.id).sort());
  });

  for (const name of fixtures) {
    const ruleId = name.replace(/\.mjs$/, '');
    it(`${ruleId}: reports exactly the lines marked @expect`, () => {
      const source = readFixture(`policy/${name}`);
      const diagnostics = lint(ruleId, source);
      expect(diagnostics.every((d) => d.ruleId === ruleId)).toBe(true);
      const actual = Object.fromEntries(countByLine(diagnostics));
      const expected = Object.fromEntries(expectedLines(source));
      expect(actual).toEqual(expected);
      expect(Object.keys(expected).length).toBeGreaterThan(1);
    });
  }
});
