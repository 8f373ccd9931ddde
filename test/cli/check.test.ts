/**
 * `esm-sandbox check` as users run it: the compiled CLI (dist/cli/main.js, so `npm run build`
 * first) in a plain `node` child process without --experimental-vm-modules, on fixture graphs
 * under fixtures/policy/check/. Exit codes: 0 clean (warnings allowed), 1 errors found, 2 bad usage.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/analyze/policy/types.js';

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const fixtures = fileURLToPath(new URL('../../fixtures/policy/check/', import.meta.url));

/** Plain node, no flag, no inherited NODE_OPTIONS; killed after 20 s so a hang fails instead of blocking. */
function check(args: readonly string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [cli, 'check', ...args], {
    cwd: fixtures,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    timeout: 20_000,
  });
  return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/** `[path under fixtures/policy/check/, line, column, ruleId, severity]` of each diagnostic. */
function summary(diagnostics: Diagnostic[]): Array<[string, number, number, string, string]> {
  return diagnostics.map((d) => [
    path.relative(fixtures, fileURLToPath(d.file)).split(path.sep).join('/'),
    d.line,
    d.column,
    d.ruleId,
    d.severity,
  ]);
}

const json = (stdout: string): Diagnostic[] => JSON.parse(stdout) as Diagnostic[];

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` before the CLI tests`);
});

describe('esm-sandbox check: exit codes and output', () => {
  it('exits 0 and prints nothing for a clean graph (the corpus entry and every file it imports, allow-list given)', () => {
    const entry = fileURLToPath(new URL('../../fixtures/corpus/index.mjs', import.meta.url));
    const result = check([entry, '--allow', 'std:path', '--allow', 'std:config', '--allow', 'app:api=ignored.mjs']);
    expect(result).toMatchObject({ status: 0, stdout: '', stderr: '' });
  });

  it('reports imports outside the allow-list in a graph that is otherwise clean', () => {
    const entry = fileURLToPath(new URL('../../fixtures/corpus/index.mjs', import.meta.url));
    const result = check([entry, '--json']);
    expect(result.status).toBe(1);
    const found = json(result.stdout);
    expect(found.length).toBeGreaterThan(0);
    expect(new Set(found.map((d) => d.ruleId))).toEqual(new Set(['no-disallowed-import']));
    expect(found.every((d) => d.message.includes('"std:config"'))).toBe(true);
  });

  it('exits 1 and prints every finding of every module with file:line:col (1-based), frame and a summary', () => {
    const result = check(['graph/main.mjs']);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('');
    const at = (file: string, line: number, column: number) => `${pathToFileURL(path.join(fixtures, file)).href}:${line}:${column}  `;
    const headers = result.stdout.split('\n').filter((line) => line.startsWith('file://'));
    expect(headers).toEqual([
      expect.stringMatching(new RegExp(`^${escape(at('graph/lib/format.mjs', 3, 3))}warn  .*\\(no-debugger\\)$`)),
      expect.stringMatching(new RegExp(`^${escape(at('graph/lib/format.mjs', 7, 1))}error  .*\\(no-builtin-prototype-write\\)$`)),
      expect.stringMatching(new RegExp(`^${escape(at('graph/main.mjs', 7, 21))}error  .*\\(no-host-globals\\)$`)),
    ]);
    expect(result.stdout).toContain('> 7 | export const mode = process.env.MODE;');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('3 problems (2 errors, 1 warning)');
    // Not a TTY: no colour codes.
    expect(result.stdout).not.toContain('\u001b[');
  });

  it('--json prints every diagnostic of the whole graph (findings in two of its three files)', () => {
    const result = check(['graph/main.mjs', '--json']);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('');
    const found = json(result.stdout);
    expect(summary(found)).toEqual([
      ['graph/lib/format.mjs', 3, 3, 'no-debugger', 'warn'],
      ['graph/lib/format.mjs', 7, 1, 'no-builtin-prototype-write', 'error'],
      ['graph/main.mjs', 7, 21, 'no-host-globals', 'error'],
    ]);
    // Columns are 1-based and endColumn exclusive: the range names exactly the offending text.
    const texts = found.map((d) => {
      expect(d.endLine).toBe(d.line);
      const line = readFileSync(fileURLToPath(d.file), 'utf8').split('\n')[d.line - 1]!;
      return line.slice(d.column - 1, d.endColumn - 1);
    });
    expect(texts).toEqual(['debugger;', 'Array.prototype.last', 'process']);
    for (const d of found) {
      expect(d.message).toEqual(expect.any(String));
      expect(d.frame).toContain(`> ${d.line} | `);
    }
  });

  it('--preset strict adds the strict-only rule and makes warnings errors', () => {
    const result = check(['graph/main.mjs', '--preset', 'strict', '--json']);
    expect(result.status).toBe(1);
    expect(summary(json(result.stdout))).toEqual([
      ['graph/lib/format.mjs', 3, 3, 'no-debugger', 'error'],
      ['graph/lib/format.mjs', 7, 1, 'no-builtin-prototype-write', 'error'],
      ['graph/lib/sum.mjs', 5, 17, 'no-computed-member', 'error'],
      ['graph/main.mjs', 7, 21, 'no-host-globals', 'error'],
    ]);
  });

  it('--rule id=off silences rules; warnings alone exit 0; --rule id=error raises one', () => {
    const off = ['--rule', 'no-host-globals=off', '--rule', 'no-builtin-prototype-write=off'];
    const warnOnly = check(['graph/main.mjs', ...off]);
    expect(warnOnly.status).toBe(0);
    expect(warnOnly.stdout).toContain('(no-debugger)');
    expect(warnOnly.stdout).not.toContain('(no-host-globals)');
    expect(warnOnly.stdout.trimEnd().split('\n').at(-1)).toBe('1 problem (0 errors, 1 warning)');

    const raised = check(['graph/main.mjs', ...off, '--rule', 'no-debugger=error', '--json']);
    expect(raised.status).toBe(1);
    expect(summary(json(raised.stdout))).toEqual([['graph/lib/format.mjs', 3, 3, 'no-debugger', 'error']]);

    const strictWithout = check(['graph/main.mjs', '--preset', 'strict', '--rule', 'no-computed-member=off', '--json']);
    expect(summary(json(strictWithout.stdout)).map(([file, , , ruleId]) => `${file} ${ruleId}`)).not.toContain(
      'graph/lib/sum.mjs no-computed-member',
    );
    expect(json(strictWithout.stdout)).toHaveLength(3);
  });

  it('reports what would stop a load (syntax error, missing import) as findings at their 1-based location', () => {
    const result = check(['broken/main.mjs', '--json']);
    expect(result.status).toBe(1);
    const found = json(result.stdout);
    expect(summary(found)).toEqual([
      ['broken/bad-syntax.mjs', 3, 16, 'load-syntax', 'error'],
      ['broken/main.mjs', 3, 25, 'load-resolve', 'error'],
    ]);
    // The location is in the diagnostic, not repeated in its message.
    expect(found[0]!.message).toBe('Unexpected token');
    expect(found[0]!.frame).toContain('> 3 |   return text +;');
  });

  it.each([
    [['graph/main.mjs', '--preset', 'paranoid'], /--preset must be recommended or strict, got "paranoid"/],
    [['graph/main.mjs', '--rule', 'no-debugger'], /--rule no-debugger: expected <rule-id>=<off\|warn\|error>/],
    [['graph/main.mjs', '--rule', '=error'], /expected <rule-id>=/],
    [['graph/main.mjs', '--rule', 'no-such-rule=error'], /Unknown policy rule "no-such-rule"/],
    [['graph/main.mjs', '--rule', 'no-debugger=loud'], /Invalid severity "loud" for policy rule "no-debugger"/],
    [['graph/main.mjs', '--no-such-flag'], /Unknown option '--no-such-flag'/],
    [[], /check takes exactly one <file>/],
    [['graph/main.mjs', 'graph/lib/sum.mjs'], /check takes exactly one <file>/],
    [['missing.mjs'], /missing\.mjs: no such file/],
    [['graph'], /graph: not a file/],
    [['graph/main.mjs', '--root', 'nowhere'], /--root nowhere: no such directory/],
    [['graph/main.mjs', '--root', 'no-run'], /graph\/main\.mjs is not inside --root .*no-run/],
  ])('exits 2 on bad usage: %j', (args, message) => {
    const result = check(args);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('Usage:');
  });
});

describe('esm-sandbox run on the same graph', () => {
  it('refuses it with a PolicyError listing the same findings, at the same file:line:col', () => {
    const checked = check(['graph/main.mjs']);
    const result = spawnSync(process.execPath, [cli, 'run', 'graph/main.mjs'], {
      cwd: fixtures,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^PolicyError \[ERR_SANDBOX_POLICY\]: 2 error\(s\)/);
    const headers = (text: string) =>
      text
        .split('\n')
        .filter((line) => line.startsWith('file://'))
        .sort();
    expect(headers(result.stderr)).toEqual(headers(checked.stdout));
    expect(headers(result.stderr)).toHaveLength(3);
  });
});

describe('esm-sandbox check runs nothing', () => {
  let temp: string;
  beforeAll(() => {
    temp = mkdtempSync(path.join(tmpdir(), 'esm-sandbox-check-'));
  });
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it('analyses a module whose evaluation would write a marker file and then spin forever', () => {
    const marker = path.join(temp, 'evaluated.marker');
    const result = check(['no-run/main.mjs', '--json'], { ESM_SANDBOX_TEST_MARKER: marker });
    // Finished on its own (a run would have been killed at 20 s, status null) ...
    expect(result.signal).toBeNull();
    expect(result.status).toBe(1);
    // ... reported what it read ...
    expect(summary(json(result.stdout))).toEqual([
      ['no-run/main.mjs', 3, 31, 'no-disallowed-import', 'error'],
      ['no-run/main.mjs', 6, 15, 'no-host-globals', 'error'],
    ]);
    // ... and the module body never ran.
    expect(existsSync(marker)).toBe(false);
  });

  it('passes a clean module that never finishes (a sandbox run would time out and exit 1)', () => {
    const started = performance.now();
    const result = check(['no-run/spin.mjs']);
    expect(result).toMatchObject({ status: 0, signal: null, stdout: '', stderr: '' });
    expect(performance.now() - started).toBeLessThan(15_000);
  });
});

/** `script` (util-linux) gives the child a pseudo-terminal, so the CLI sees a real TTY. */
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!hasScript)('esm-sandbox check on a TTY', () => {
  /** The CLI in a pseudo-terminal; colour switches of the test's own environment are dropped. */
  const inTty = (args: string[], extra: Record<string, string> = {}) => {
    const { NO_COLOR: _no, FORCE_COLOR: _force, ...env } = process.env;
    const command = [process.execPath, cli, 'check', ...args].map((part) => `'${part}'`).join(' ');
    const result = spawnSync('script', ['-qec', command, '/dev/null'], {
      cwd: fixtures,
      encoding: 'utf8',
      env: { ...env, NODE_OPTIONS: '', ...extra },
      timeout: 20_000,
    });
    return { status: result.status, stdout: result.stdout.replace(/\r\n/g, '\n') };
  };

  it('colours the header and the code frame with styleText', () => {
    const { status, stdout } = inTty(['graph/main.mjs']);
    expect(status).toBe(1);
    expect(stdout).toContain('\u001b[31merror\u001b[39m');
    expect(stdout).toContain('\u001b[33mwarn\u001b[39m');
    expect(stdout).toContain('\u001b[90m(no-host-globals)\u001b[39m');
    // The frame is coloured too: bold gutter on the reported line, red carets under the range.
    expect(stdout).toContain('\u001b[1m> 7 | \u001b[22mexport const mode = process.env.MODE;');
    expect(stdout).toContain('\u001b[31m^^^^^^^\u001b[39m');
  });

  it('NO_COLOR turns colours off, and --json never has any', () => {
    const plain = inTty(['graph/main.mjs'], { NO_COLOR: '1' });
    expect(plain.status).toBe(1);
    expect(plain.stdout).toContain('(no-host-globals)');
    expect(plain.stdout).not.toContain('\u001b[');
    const asJson = inTty(['graph/main.mjs', '--json']);
    expect(asJson.status).toBe(1);
    expect(asJson.stdout).not.toContain('\u001b[');
    expect(json(asJson.stdout)).toHaveLength(3);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
