/**
 * CommonJS packages against ES module packages of the same size, in the same run: a new sandbox
 * importing semver (50 CommonJS files: one function compiled in the realm and one facade module
 * per file, `require()` through the host) next to one importing micromark (56 ES module files in
 * 21 packages). Both with the analysis cache warm (unchanged files, as a host re-creating sandboxes
 * over the same packages has them), interleaved so both see the same machine load. The result per
 * file is what CommonJS costs over ES modules.
 *
 * Run: npx vitest bench --run test/bench/commonjs.bench.ts
 */
import { bench, describe } from 'vitest';
import { createSandbox } from '../../src/index.js';
import { interleaved } from './support/interleaved.js';
import { MedianReport } from './support/report.js';

const ITERATIONS = 30;
const WARMUP = 5;
const root = new URL('../../fixtures/packages/corpus/', import.meta.url);

const parts = {
  commonjs: 'semver: 50 CommonJS files, new sandbox',
  esm: 'micromark: 56 ES module files, new sandbox',
} as const;
const names = { interleaved: 'both, interleaved' } as const;

const report = new MedianReport(
  'CommonJS vs ES module packages (analysis cache warm)',
  [{ name: parts.esm }, { name: parts.commonjs, baseline: parts.esm }],
  Object.values(names),
);

async function load(name: string): Promise<void> {
  const sandbox = createSandbox({ root, isolation: 'context', packages: [name] });
  const { result } = await sandbox.import(`./${name}.mjs`);
  if (!Array.isArray(result) || result.length === 0) throw new Error(`${name} loaded wrong`);
  await sandbox.dispose();
}

describe('CommonJS package load', () => {
  bench(
    names.interleaved,
    ...interleaved(
      report,
      names.interleaved,
      [
        [parts.commonjs, () => load('semver')],
        [parts.esm, () => load('micromark')],
      ],
      ITERATIONS,
      WARMUP,
    ),
  );
});
