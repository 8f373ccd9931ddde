/**
 * checkGraph, the library side of `esm-sandbox check`: every module of the graph, nothing run,
 * findings cached per policy AND allow-list (the same file is clean or not depending on both).
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkGraph } from '../../src/load/check-graph.js';
import { resolvePolicy } from '../../src/analyze/policy/index.js';

const corpus = realpathSync(fileURLToPath(new URL('../../fixtures/corpus/', import.meta.url)));
const graph = realpathSync(fileURLToPath(new URL('../../fixtures/policy/check/graph/', import.meta.url)));
const allowing =
  (...specifiers: string[]) =>
  (specifier: string) =>
    specifiers.includes(specifier);

describe('checkGraph', () => {
  it('reports every module of the graph, sorted by file and position, with 1-based columns', async () => {
    const found = await checkGraph(path.join(graph, 'main.mjs'), {
      resolver: { root: graph, isAllowed: allowing() },
      policy: resolvePolicy(),
    });
    expect(found.map((d) => [path.relative(graph, fileURLToPath(d.file)), d.line, d.column, d.ruleId])).toEqual([
      [path.join('lib', 'format.mjs'), 3, 3, 'no-debugger'],
      [path.join('lib', 'format.mjs'), 7, 1, 'no-builtin-prototype-write'],
      ['main.mjs', 7, 21, 'no-host-globals'],
    ]);
  });

  it('does not reuse findings made under another allow-list (same policy, same files)', async () => {
    const entry = path.join(corpus, 'logger.mjs');
    const policy = resolvePolicy();
    const allowed = await checkGraph(entry, { resolver: { root: corpus, isAllowed: allowing('std:config') }, policy });
    expect(allowed).toEqual([]);
    const refused = await checkGraph(entry, { resolver: { root: corpus, isAllowed: allowing() }, policy });
    expect(refused.map((d) => [path.basename(fileURLToPath(d.file)), d.ruleId])).toEqual([['logger.mjs', 'no-disallowed-import']]);
    // And back: the first allow-list's (empty) findings are still right for it.
    expect(await checkGraph(entry, { resolver: { root: corpus, isAllowed: allowing('std:config') }, policy })).toEqual([]);
  });

  it('with no-disallowed-import off or warning, still reports the import a load would refuse', async () => {
    const entry = path.join(corpus, 'logger.mjs');
    const resolver = { root: corpus, isAllowed: allowing() };
    const summary = async (severity: 'off' | 'warn' | 'error') =>
      (await checkGraph(entry, { resolver, policy: resolvePolicy({ rules: { 'no-disallowed-import': severity } }) })).map((d) => [
        d.line,
        d.column,
        d.ruleId,
        d.severity,
      ]);
    expect(await summary('error')).toEqual([[3, 26, 'no-disallowed-import', 'error']]);
    expect(await summary('warn')).toEqual([
      [3, 26, 'no-disallowed-import', 'warn'],
      [3, 26, 'load-module-not-allowed', 'error'],
    ]);
    expect(await summary('off')).toEqual([[3, 26, 'load-module-not-allowed', 'error']]);
  });

  it('does not reuse findings made under another policy', async () => {
    const entry = path.join(graph, 'lib', 'sum.mjs');
    const resolver = { root: graph, isAllowed: allowing() };
    expect(await checkGraph(entry, { resolver, policy: resolvePolicy() })).toEqual([]);
    const strict = await checkGraph(entry, { resolver, policy: resolvePolicy({ preset: 'strict' }) });
    expect(strict.map((d) => d.ruleId)).toEqual(['no-computed-member']);
  });

  it('reports a JSON import without its attribute, as the load refuses it (it once passed check)', async () => {
    const root = realpathSync(fileURLToPath(new URL('../../fixtures/graph/', import.meta.url)));
    const found = await checkGraph(path.join(root, 'json-no-attribute.mjs'), {
      resolver: { root, isAllowed: allowing() },
      policy: resolvePolicy(),
    });
    expect(found.map((d) => [path.basename(fileURLToPath(d.file)), d.line, d.ruleId])).toEqual([['json-no-attribute.mjs', 2, 'load-load']]);
    expect(found[0]!.message).toContain("with { type: 'json' }");
  });

  it('follows import() of literal specifiers unless told not to', async () => {
    const dynamicRoot = realpathSync(fileURLToPath(new URL('../../fixtures/graph/', import.meta.url)));
    const entry = path.join(dynamicRoot, 'dynamic', 'json.mjs');
    const resolver = { root: dynamicRoot, isAllowed: allowing() };
    const followed = await checkGraph(entry, { resolver, policy: resolvePolicy() });
    expect(followed.map((d) => [d.line, d.ruleId])).toEqual([[7, 'load-load']]);
    expect(await checkGraph(entry, { resolver, policy: resolvePolicy(), dynamicImports: false })).toEqual([]);
  });

  it('knows the import.meta properties a sandbox would define (importMeta)', async () => {
    const pluginRoot = realpathSync(fileURLToPath(new URL('../../fixtures/plugin-server/plugins/', import.meta.url)));
    const entry = path.join(pluginRoot, 'hello.mjs');
    const resolver = { root: pluginRoot, isAllowed: allowing() };
    const rules = (found: Array<{ ruleId: string }>) => found.map((d) => d.ruleId);
    expect(rules(await checkGraph(entry, { resolver, policy: resolvePolicy() }))).toContain('no-unknown-import-meta');
    expect(rules(await checkGraph(entry, { resolver, policy: resolvePolicy(), importMeta: ['hot'] }))).not.toContain(
      'no-unknown-import-meta',
    );
  });
});
