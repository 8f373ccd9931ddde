import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/analyze/policy/index.js';
import { check, readFixture } from './helpers.js';

const files = readdirSync(new URL('../../fixtures/corpus/', import.meta.url)).filter((name) => name.endsWith('.mjs'));

describe('realistic corpus (fixtures/corpus)', () => {
  it('is big enough to mean something', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
    const lines = files.reduce((total, name) => total + readFixture(`corpus/${name}`).split('\n').length, 0);
    expect(lines).toBeGreaterThan(3000);
  });

  it.each(files)('%s passes `recommended` with no diagnostics at all', (name) => {
    const diagnostics = check(readFixture(`corpus/${name}`));
    expect(diagnostics.map((d) => formatDiagnostic(d))).toEqual([]);
  });

  it('mentions the dangerous names in strings, comments, keys and locals (so the zero above means something)', () => {
    const all = files.map((name) => readFixture(`corpus/${name}`)).join('\n');
    for (const needle of [
      'process.env',
      'require(',
      '__proto__',
      'constructor:',
      'prototype:',
      "typeof process !== 'undefined'",
      'const process',
      'constructor(',
    ]) {
      expect(all).toContain(needle);
    }
  });

  it('is not clean under `strict`, whose no-computed-member flags data-driven keys', () => {
    const ruleIds = new Set(files.flatMap((name) => check(readFixture(`corpus/${name}`), { preset: 'strict' }).map((d) => d.ruleId)));
    expect([...ruleIds]).toEqual(['no-computed-member']);
  });
});
