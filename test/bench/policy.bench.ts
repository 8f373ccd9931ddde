/**
 * What the policy adds to the parse the loader does anyway: ~1 MB of realistic modules (the
 * corpus repeated, each file a separate module as the loader sees them), parsed alone versus
 * parsed and checked with `recommended`, in the same run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'acorn';
import { bench, describe } from 'vitest';
import type { PolicyEnvironment } from '../../src/analyze/policy/index.js';
import { built } from './support/library.js';

const { loadParser, parseModule } = await built<typeof import('../../src/analyze/parse.js')>('analyze/parse.js');
await loadParser();
const { checkModule, resolvePolicy } = await built<typeof import('../../src/analyze/policy/index.js')>('analyze/policy/index.js');

const corpus = new URL('../../fixtures/corpus/', import.meta.url);
const files = readdirSync(corpus)
  .filter((name) => name.endsWith('.mjs'))
  .map((name) => ({ url: new URL(name, corpus).href, source: readFileSync(new URL(name, corpus), 'utf8') }));

const TARGET_BYTES = 1_000_000;
const modules: Array<{ url: string; source: string }> = [];
for (let size = 0; size < TARGET_BYTES;) {
  for (const file of files) {
    modules.push(file);
    size += file.source.length;
  }
}

const allowed = new Set(['std:path', 'std:config', 'app:api']);
const env: PolicyEnvironment = { isAllowedSpecifier: (specifier) => allowed.has(specifier), importMetaProperties: ['url'] };
const recommended = resolvePolicy({ preset: 'recommended' });
const strict = resolvePolicy({ preset: 'strict' });
const trees = modules.map(({ source }) => parseModule(source));

const options = { iterations: 20, time: 0, warmupIterations: 3 };

describe(`policy on ${(modules.reduce((n, m) => n + m.source.length, 0) / 1e6).toFixed(2)} MB in ${modules.length} modules`, () => {
  bench(
    'acorn.parse alone (the loader options)',
    () => {
      for (const { source } of modules) {
        parse(source, { ecmaVersion: 'latest', sourceType: 'module', locations: true, allowHashBang: true });
      }
    },
    options,
  );

  bench(
    'parseModule + checkModule (recommended)',
    () => {
      for (const { url, source } of modules) checkModule(parseModule(source), source, url, recommended, env);
    },
    options,
  );

  bench(
    'checkModule alone on parsed trees (recommended)',
    () => {
      for (let i = 0; i < modules.length; i++) checkModule(trees[i]!, modules[i]!.source, modules[i]!.url, recommended, env);
    },
    options,
  );

  bench(
    'checkModule alone on parsed trees (strict)',
    () => {
      for (let i = 0; i < modules.length; i++) checkModule(trees[i]!, modules[i]!.source, modules[i]!.url, strict, env);
    },
    options,
  );
});
