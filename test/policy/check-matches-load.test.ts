/**
 * `check` runs the load step a sandbox runs (load/load-graph.ts), so over every fixture of the
 * repository it must refuse exactly what a sandbox's load refuses, with the same findings at the
 * same places. The load here is a real context sandbox's graph, stopped before evaluation: many
 * fixtures are attacks, and loading is what is compared.
 */
import { readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolvePolicy } from '../../src/analyze/policy/index.js';
import type { Diagnostic } from '../../src/analyze/policy/types.js';
import { createSandbox, EsmSandboxError, PolicyError, stdConfig, stdPath } from '../../src/index.js';
import type { ModuleGraph } from '../../src/link/graph.js';
import { checkGraph } from '../../src/load/check-graph.js';
import { resolveSpecifier } from '../../src/resolve/resolver.js';

const root = realpathSync(fileURLToPath(new URL('../../fixtures/', import.meta.url)));
const modules = { 'std:config': stdConfig(), 'std:path': stdPath };
const isAllowed = (specifier: string) => Object.hasOwn(modules, specifier);

function moduleFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : moduleFiles(full);
    return /\.(mjs|js|ts|mts|json)$/.test(entry.name) && entry.isFile() ? [full] : [];
  });
}

/** A finding's identity: what, where. */
const key = (d: Pick<Diagnostic, 'ruleId' | 'file' | 'line' | 'column'>) => `${d.ruleId} ${d.file}:${d.line}:${d.column}`;

/** The refusal of a sandbox's load (read, analyse, resolve, compile, link; nothing evaluated), as finding keys. */
async function loadRefusal(file: string): Promise<{ keys: string[]; error: unknown } | undefined> {
  const sandbox = createSandbox({ root, isolation: 'context', modules, onWarning: () => {} });
  // The graph's load is internal: a sandbox only offers load-and-evaluate.
  const { graph } = sandbox as unknown as { graph: ModuleGraph };
  try {
    const rootUrl = pathToFileURL(`${root}/`).href;
    await graph.prepare(await resolveSpecifier(`./${path.relative(root, file)}`, rootUrl, { root, isAllowed }));
    return undefined;
  } catch (error) {
    if (error instanceof PolicyError) return { keys: error.diagnostics.filter((d) => d.severity === 'error').map(key), error };
    const e = error as EsmSandboxError;
    return {
      keys: [
        `${e.code
          .toLowerCase()
          .replace(/^err_sandbox_/, 'load-')
          .replace(/_/g, '-')} ${e.url}:${e.line ?? 1}:${e.column ?? 1}`,
      ],
      error,
    };
  } finally {
    await sandbox.dispose();
  }
}

describe('check refuses what a load refuses, over every fixture', () => {
  const files = moduleFiles(root);
  const policy = resolvePolicy();
  /** How each fixture came out: refused by both, by neither, or only by compile/link (check-graph.ts says so). */
  const outcomes = { refused: 0, clean: 0, beyondLoad: 0 };

  it('covers the fixtures of the repository', () => {
    expect(files.length).toBeGreaterThan(250);
  });

  it.each(files.map((file) => [path.relative(root, file), file]))('%s', async (_name, file) => {
    const found = await checkGraph(file, { resolver: { root, isAllowed }, policy, dynamicImports: false });
    const errors = found.filter((d) => d.severity === 'error').map(key);
    const refusal = await loadRefusal(file);
    if (refusal === undefined) {
      outcomes.clean++;
      expect(errors).toEqual([]);
      return;
    }
    const { code, line } = refusal.error as EsmSandboxError;
    if (code === 'ERR_SANDBOX_LINK' || (code === 'ERR_SANDBOX_SYNTAX' && line === undefined)) {
      outcomes.beyondLoad++;
      expect(errors).toEqual([]);
      return;
    }
    outcomes.refused++;
    // A load stops at its first failure, or at its policy errors all at once; check reports them all.
    for (const refused of refusal.keys) expect(errors).toContain(refused);
    if (refusal.error instanceof PolicyError) {
      expect(errors.filter((k) => !k.startsWith('load-'))).toEqual(refusal.keys);
    }
  });

  it('compares both ways: many fixtures refused, many clean, few refused only by compile or link', () => {
    expect(outcomes.refused).toBeGreaterThan(100);
    expect(outcomes.clean).toBeGreaterThan(100);
    expect(outcomes.beyondLoad).toBeLessThan(30);
  });
});
