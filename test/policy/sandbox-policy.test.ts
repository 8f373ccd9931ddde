/**
 * The policy as the loader applies it: `createSandbox().import()` refuses a graph with a
 * `PolicyError` carrying every finding of every module (not just the first), in both
 * isolations; and the content-hash cache means unchanged files are not parsed again.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCount } from '../../src/analyze/parse.js';
import { createSandbox, PolicyError, SandboxError } from '../../src/index.js';
import type { Diagnostic } from '../../src/index.js';
import { describeEach, fixtures, rejection } from '../helpers/sandbox.js';

const graph = fixtures('policy/check/graph');

const summary = (diagnostics: readonly Diagnostic[]) =>
  diagnostics.map((d) => [
    path.relative(fileURLToPath(graph), fileURLToPath(d.file)).split(path.sep).join('/'),
    d.line,
    d.column,
    d.ruleId,
    d.severity,
  ]);

describeEach('policy in the loader', ({ make }) => {
  it('refuses the graph with a PolicyError that carries all diagnostics of all modules', async () => {
    const warnings: Diagnostic[] = [];
    const sandbox = make({ root: graph, onWarning: (d) => warnings.push(d) });
    const policyError = await rejection<PolicyError>(sandbox.import('./main.mjs'));
    expect(policyError).toBeInstanceOf(PolicyError);
    expect(policyError.code).toBe('ERR_SANDBOX_POLICY');
    // Both errors (in two different files) and the warning, in one error.
    expect(summary(policyError.diagnostics).sort()).toEqual(
      [
        ['lib/format.mjs', 3, 3, 'no-debugger', 'warn'],
        ['lib/format.mjs', 7, 1, 'no-builtin-prototype-write', 'error'],
        ['main.mjs', 7, 21, 'no-host-globals', 'error'],
      ].sort(),
    );
    for (const d of policyError.diagnostics) expect(d.frame).toContain(`> ${d.line} | `);
    // The error points at the first error finding with the same 1-based column as the diagnostic.
    const first = policyError.diagnostics.find((d) => d.severity === 'error')!;
    expect([policyError.url, policyError.line, policyError.column]).toEqual([first.file, first.line, first.column]);
    expect(policyError.message).toContain('(and 1 more)');
    expect(policyError.stack).toContain(`${first.file}:${first.line}:${first.column}`);
    // A refused load reports nothing as a warning and runs nothing.
    expect(warnings).toEqual([]);
    expect(Object.hasOwn(Array.prototype, 'last')).toBe(false);
    expect(sandbox.disposed).toBe(false);
  });

  it('with the error rules off, loads, reports the warning with a 1-based column, and the realm still holds', async () => {
    const warnings: Diagnostic[] = [];
    const sandbox = make({
      root: graph,
      policy: { rules: { 'no-host-globals': 'off', 'no-builtin-prototype-write': 'off' } },
      onWarning: (d) => warnings.push(d),
    });
    const error = await rejection<SandboxError>(sandbox.import('./main.mjs'));
    expect(summary(warnings)).toEqual([['lib/format.mjs', 3, 3, 'no-debugger', 'warn']]);
    // The policy let `process` through; the realm has no such global, so the module throws.
    expect(error).toBeInstanceOf(SandboxError);
    expect(error.sandboxName).toBe('ReferenceError');
    expect(error.message).toContain('process is not defined');
    expect(Object.hasOwn(Array.prototype, 'last')).toBe(false);
  });
});

describe('content-hash analysis cache (in the thread that analyses: the host, for context isolation)', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'esm-sandbox-cache-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** Files unique to this run, so nothing earlier in this process has cached them. */
  function writeGraph(version: number): void {
    const stamp = `${process.pid}-${Date.now()}`;
    writeFileSync(path.join(root, 'main.mjs'), `// ${stamp}\nimport { value } from './dep.mjs';\nexport default value + 1;\n`);
    writeFileSync(path.join(root, 'dep.mjs'), `// ${stamp}\nexport const value = ${version};\n`);
  }

  const load = async (options: Parameters<typeof createSandbox>[0] = {}) => {
    const sandbox = createSandbox({ root, isolation: 'context', ...options });
    try {
      return (await sandbox.import('./main.mjs')).default;
    } finally {
      await sandbox.dispose();
    }
  };

  it('a new sandbox importing unchanged files parses nothing; a changed file is parsed again, alone', async () => {
    writeGraph(1);
    const start = parseCount();
    expect(await load()).toBe(2);
    expect(parseCount() - start).toBe(2);

    expect(await load()).toBe(2);
    expect(await load()).toBe(2);
    expect(parseCount() - start).toBe(2);

    writeFileSync(path.join(root, 'dep.mjs'), 'export const value = 41;\n');
    expect(await load()).toBe(42);
    expect(parseCount() - start).toBe(3);
  });

  it('a different policy reuses the analysis but checks the modules again (one parse each, once)', async () => {
    writeGraph(5);
    const start = parseCount();
    expect(await load()).toBe(6);
    expect(parseCount() - start).toBe(2);
    // The tree is not kept after the first policy has looked at it; another policy parses again, then caches its findings.
    expect(await load({ policy: { preset: 'strict' } })).toBe(6);
    expect(parseCount() - start).toBe(4);
    expect(await load({ policy: { preset: 'strict' } })).toBe(6);
    expect(await load()).toBe(6);
    expect(parseCount() - start).toBe(4);
  });
});
