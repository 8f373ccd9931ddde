import { describe, expect, it } from 'vitest';
import { loadParser, parseModule } from '../../src/analyze/parse.js';
import { ANALYSIS_LIMIT, checkModule, presets, resolvePolicy, rules } from '../../src/analyze/policy/index.js';
import { check, env, lint } from './helpers.js';

// The load step loads acorn at its first miss; these tests parse directly.
await loadParser();

describe('resolvePolicy', () => {
  it('defaults to the recommended preset', () => {
    const policy = resolvePolicy();
    expect(policy.preset).toBe('recommended');
    expect(policy.rules).toEqual(presets.recommended);
    expect(resolvePolicy({}).rules).toEqual(presets.recommended);
  });

  it('knows every rule in both presets', () => {
    for (const rule of rules) {
      expect(presets.recommended[rule.id]).toBe(rule.defaults.recommended);
      expect(presets.strict[rule.id]).toBe(rule.defaults.strict);
    }
  });

  it('strict is never weaker than recommended', () => {
    const rank = { off: 0, warn: 1, error: 2 } as const;
    for (const rule of rules) expect(rank[rule.defaults.strict]).toBeGreaterThanOrEqual(rank[rule.defaults.recommended]);
  });

  it('applies overrides over the preset', () => {
    const policy = resolvePolicy({ preset: 'strict', rules: { 'no-computed-member': 'off', 'no-debugger': 'warn' } });
    expect(policy.rules['no-computed-member']).toBe('off');
    expect(policy.rules['no-debugger']).toBe('warn');
    expect(policy.active.map(({ rule }) => rule.id)).not.toContain('no-computed-member');
  });

  it('throws a TypeError naming an unknown rule', () => {
    expect(() => resolvePolicy({ rules: { 'no-such-rule': 'error' } })).toThrow(TypeError);
    expect(() => resolvePolicy({ rules: { 'no-such-rule': 'error' } })).toThrow(/"no-such-rule"/);
  });

  it('throws a TypeError naming a bad severity and its rule', () => {
    const bad = { rules: { 'no-debugger': 2 } } as unknown as Parameters<typeof resolvePolicy>[0];
    expect(() => resolvePolicy(bad)).toThrow(TypeError);
    expect(() => resolvePolicy(bad)).toThrow(/severity 2 for policy rule "no-debugger"/);
    const typo = { rules: { 'no-debugger': 'warning' } } as unknown as Parameters<typeof resolvePolicy>[0];
    expect(() => resolvePolicy(typo)).toThrow(/"warning"/);
  });

  it('throws a TypeError for an unknown preset or malformed options', () => {
    expect(() => resolvePolicy({ preset: 'paranoid' } as unknown as Parameters<typeof resolvePolicy>[0])).toThrow(/preset "paranoid"/);
    expect(() => resolvePolicy({ rules: [] } as unknown as Parameters<typeof resolvePolicy>[0])).toThrow(TypeError);
    expect(() => resolvePolicy(null as unknown as Parameters<typeof resolvePolicy>[0])).toThrow(TypeError);
    expect(() => resolvePolicy({ preset: 'toString' } as unknown as Parameters<typeof resolvePolicy>[0])).toThrow(TypeError);
    expect(() => resolvePolicy({ rules: JSON.parse('{"toString":"off"}') as Record<string, 'off'> })).toThrow(/"toString"/);
  });

  it('returns a frozen policy that can be shared between sandboxes', () => {
    const policy = resolvePolicy();
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.rules)).toBe(true);
  });
});

describe('presets and severities', () => {
  const source = 'debugger;\nconst k = "a";\nconst v = ({})[k];\n';

  it('recommended warns on debugger and ignores computed members', () => {
    expect(check(source).map((d) => [d.ruleId, d.severity])).toEqual([['no-debugger', 'warn']]);
  });

  it('strict makes debugger an error and adds no-computed-member', () => {
    expect(check(source, { preset: 'strict' }).map((d) => [d.ruleId, d.severity])).toEqual([
      ['no-debugger', 'error'],
      ['no-computed-member', 'error'],
    ]);
  });

  it('an override changes the reported severity, and off silences a rule', () => {
    expect(check(source, { rules: { 'no-debugger': 'error' } })[0]?.severity).toBe('error');
    expect(check(source, { rules: { 'no-debugger': 'off' } })).toEqual([]);
  });

  it('a policy with every rule off does not walk at all', () => {
    const none = Object.fromEntries(rules.map((rule) => [rule.id, 'off' as const]));
    expect(check('process.exit(); debugger;', { rules: none })).toEqual([]);
  });
});

describe('checkModule', () => {
  it('reports diagnostics sorted by position with 1-based lines and columns (ESLint convention)', () => {
    const source = 'const a = 1;\n  debugger;\nprocess.exit(a);\n';
    const diagnostics = check(source);
    // `debugger;` spans columns 3..11 (endColumn exclusive); `process` spans 1..7.
    expect(diagnostics.map((d) => [d.ruleId, d.line, d.column, d.endLine, d.endColumn])).toEqual([
      ['no-debugger', 2, 3, 2, 12],
      ['no-host-globals', 3, 1, 3, 8],
    ]);
    // The column is a 1-based index into the line: column - 1 is where the reported text starts.
    const lines = source.split('\n');
    for (const d of diagnostics) {
      expect(lines[d.line - 1]!.slice(d.column - 1, d.endColumn - 1)).toBe(d.ruleId === 'no-debugger' ? 'debugger;' : 'process');
    }
    expect(diagnostics[0]?.file).toBe('file:///sandbox/test.mjs');
  });

  it('fills message placeholders', () => {
    const [diagnostic] = lint('no-disallowed-import', "import fs from 'fs';");
    expect(diagnostic?.message).toBe(
      '"fs" is not in the sandbox allow-list; import files by relative path or add the module to `modules`.',
    );
  });

  it('attaches a code frame without colours', () => {
    const [diagnostic] = check('const a = 1;\nprocess.exit(a);\n');
    expect(diagnostic?.frame).toContain('> 2 | process.exit(a);');
    expect(diagnostic?.frame).toContain('^^^^^^^');
    expect(diagnostic?.frame).not.toContain('\u001b[');
    expect(JSON.parse(JSON.stringify(diagnostic)).frame).toBe(diagnostic?.frame);
  });

  it('uses the tree it is given and never re-parses', () => {
    const source = 'process.exit();';
    const program = parseModule(source);
    const diagnostics = checkModule(program, source, 'file:///a.mjs', resolvePolicy(), env);
    expect(diagnostics).toHaveLength(1);
    // The same tree can be checked again (the walk leaves no state behind).
    expect(checkModule(program, source, 'file:///a.mjs', resolvePolicy(), env)).toHaveLength(1);
  });

  it('fails closed when a module nests deeper than the walk can follow', () => {
    // Member chains parse iteratively in acorn but nest in the tree.
    const source = `const x = a${'.b'.repeat(200_000)};`;
    const diagnostics = check(source);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ ruleId: ANALYSIS_LIMIT, severity: 'error' });
  });

  it('checks 10 000 findings without building 10 000 frames', () => {
    const source = 'debugger;\n'.repeat(10_000);
    const started = performance.now();
    const diagnostics = check(source);
    expect(diagnostics).toHaveLength(10_000);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(diagnostics[9_999]?.frame).toContain('> 10000 | debugger;');
  });
});
