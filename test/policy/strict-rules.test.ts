import { describe, expect, it } from 'vitest';
import { check, lint, positions } from './helpers.js';

describe('no-debugger', () => {
  it('reports the statement', () => {
    const diagnostics = lint('no-debugger', 'function f() {\n  debugger;\n}\n');
    expect(positions(diagnostics)).toEqual([[2, 3]]);
    expect(diagnostics[0]).toMatchObject({ endLine: 2, endColumn: 12 });
  });
});

describe('no-computed-member', () => {
  const rule = 'no-computed-member';
  const count = (source: string) => lint(rule, source).length;

  it('is off in recommended and an error in strict', () => {
    expect(check('o[k] = v;')).toEqual([]);
    expect(check('o[k] = v;', { preset: 'strict' }).map((d) => [d.ruleId, d.severity])).toEqual([['no-computed-member', 'error']]);
  });

  it('reports the key expression', () => {
    expect(positions(lint(rule, 'const k = "a";\ntarget[k] = source[k];\n'))).toEqual([
      [2, 8],
      [2, 20],
    ]);
  });

  it('allows loop counters of an enclosing for, let or var', () => {
    expect(count('for (let i = 0; i < a.length; i++) a[i] = a[i + 1];')).toBe(0);
    expect(count('for (var i = a.length - 1; i >= 0; i -= 2) a[i];')).toBe(0);
    expect(count('for (let i = 0; i < n; i++) { const f = () => a[i]; }')).toBe(0);
  });

  it('does not trust a counter that is shadowed, started from data or stepped with data', () => {
    expect(count('for (let i = 0; i < n; i++) { const g = (i) => a[i]; }')).toBe(1);
    expect(count('for (let i = start; i < n; i++) a[i];')).toBe(1);
    expect(count('for (let i = 0; i < n; i += step) a[i];')).toBe(1);
    expect(count('for (let i = 0; i < n; i = next(i)) a[i];')).toBe(1);
    expect(count('for (var i = 0; i < n; i++) {} a[i];')).toBe(1);
  });

  it('allows keys that are always numbers', () => {
    expect(count('a[0]; a[-1]; a[n - 1]; a[i * 2]; a[~x]; a[+s]; a[x >> 1]; a[Math.floor(x)]; a[Number(s)];')).toBe(0);
    expect(count('const mid = a.length >> 1; a[mid];')).toBe(0);
  });

  it('reports keys that may be strings', () => {
    expect(count('a[x + 1];')).toBe(1);
    expect(count('let mid = 0; a[mid];')).toBe(1);
    expect(count('const k = f(); a[k];')).toBe(1);
    expect(count('a[`${x}`];')).toBe(1);
    expect(count('const { [k]: v } = o;')).toBe(1);
  });
});
