import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/analyze/policy/index.js';
import type { Diagnostic } from '../../src/analyze/policy/index.js';
import { check } from './helpers.js';

const source = 'const a = 1;\nconst secret = process.env.SECRET;\nexport { a, secret };\n';

describe('formatDiagnostic', () => {
  it('prints `file:line:col  severity  message  (rule)` with a 1-based column, then the frame', () => {
    const [diagnostic] = check(source);
    const [header, ...frame] = formatDiagnostic(diagnostic!).split('\n');
    expect(header).toBe(
      'file:///sandbox/test.mjs:2:16  error  `process` is a Node.js global that does not exist in the sandbox; import what you need from an allow-listed module.  (no-host-globals)',
    );
    // The frame itself is errors/frame.ts's business; it is the diagnostic's own, with context lines.
    expect(frame.join('\n')).toBe(diagnostic!.frame);
    expect(frame).toContain('> 2 | const secret = process.env.SECRET;');
    expect(frame).toContain('  1 | const a = 1;');
  });

  it('prints warnings as warn', () => {
    const [diagnostic] = check('debugger;');
    expect(formatDiagnostic(diagnostic!, { color: false }).split('\n')[0]).toBe(
      'file:///sandbox/test.mjs:1:1  warn  `debugger` pauses the host process when an inspector is attached.  (no-debugger)',
    );
  });

  it('colours with styleText when asked, and the text stays the same', () => {
    const [diagnostic] = check(source);
    const coloured = formatDiagnostic(diagnostic!, { color: true });
    expect(coloured).toContain('\u001b[31merror\u001b[39m');
    expect(coloured).toContain('\u001b[90m(no-host-globals)\u001b[39m');
    expect(stripVTControlCharacters(coloured)).toBe(formatDiagnostic(diagnostic!));
  });

  it("colours the code frame as well, whatever this process's stdout is (the caller decides)", () => {
    const [diagnostic] = check(source);
    const coloured = formatDiagnostic(diagnostic!, { color: true });
    expect(coloured).toContain('\u001b[1m> 2 | \u001b[22mconst secret = process.env.SECRET;');
    expect(coloured).toContain('\u001b[31m^^^^^^^\u001b[39m');
    expect(formatDiagnostic(diagnostic!, { color: false })).not.toContain('\u001b[');
    expect(formatDiagnostic(diagnostic!)).not.toContain('\u001b[');
  });

  it('puts the carets exactly under the reported range', () => {
    for (const text of [source, 'debugger;', '\tconst x = 1; debugger;\n', `${'\n'.repeat(9)}  const q = process;\n`]) {
      for (const diagnostic of check(text)) {
        const lines = formatDiagnostic(diagnostic).split('\n');
        const index = lines.findIndex((line) => line.startsWith('>'));
        const reported = lines[index]!;
        const carets = lines[index + 1]!;
        const textStart = reported.indexOf(' | ') + 3;
        expect(carets.indexOf('^'), `${JSON.stringify(text)}\n${lines.join('\n')}`).toBe(textStart + diagnostic.column - 1);
        expect(carets.trim()).toBe('^'.repeat(diagnostic.endColumn - diagnostic.column));
      }
    }
  });

  it('prints a diagnostic that crossed a thread boundary (plain data, no source) with its stored frame', () => {
    const [diagnostic] = check(source);
    const copy: Diagnostic = structuredClone({ ...diagnostic! });
    expect(stripVTControlCharacters(formatDiagnostic(copy, { color: true }))).toBe(formatDiagnostic(diagnostic!));
  });

  it('omits the frame when there is none', () => {
    const bare: Diagnostic = {
      ruleId: 'no-debugger',
      severity: 'warn',
      message: 'm',
      file: 'f.mjs',
      line: 1,
      column: 1,
      endLine: 1,
      endColumn: 2,
      frame: '',
    };
    expect(formatDiagnostic(bare)).toBe('f.mjs:1:1  warn  m  (no-debugger)');
  });
});
