/**
 * Issue 17: what the realm's web globals cost.
 * - A new sandbox evaluating a module that uses URL, TextEncoder and TextDecoder (each group is
 *   made on its first use in that realm) against the same kind of module using none of them
 *   (neither is straight-line: both are evaluated under a watchdog).
 * - TextEncoder.encode / TextDecoder.decode of 1 MB, written in the realm, against the host's
 *   native ones on the same text, in the same run.
 *
 * Run: npx vitest bench --run test/bench/web-globals.bench.ts
 */
import os from 'node:os';
import { bench, describe } from 'vitest';
import { library } from './support/library.js';
import { MedianReport } from './support/report.js';

const { createSandbox } = library;

const ITERATIONS = 100;
const WARMUP = 10;
const root = os.tmpdir();
const CONTROL = "export default [1].map((x) => x + 1).join('') + String('z')";
const WEB =
  "export default new URL('https://a.example/x?y=1').searchParams.get('y') + new TextDecoder().decode(new TextEncoder().encode('z'))";
const TEXT = 'ascii and some é€😀 '.repeat(1 << 16).slice(0, 1 << 20);

const rows = {
  control: 'new sandbox + a module using no web global + dispose',
  web: 'new sandbox + a module using URL, TextEncoder, TextDecoder (first use) + dispose',
  hostEncode: 'host: TextEncoder.encode + TextDecoder.decode of 1 MB',
  realmEncode: 'realm: TextEncoder.encode + TextDecoder.decode of 1 MB',
} as const;
const report = new MedianReport(
  'issue 17: web globals',
  [
    { name: rows.control },
    { name: rows.web, baseline: rows.control },
    { name: rows.hostEncode },
    { name: rows.realmEncode, baseline: rows.hostEncode },
  ],
  ['first use', 'encoding'],
);

async function round(source: string, expected: unknown): Promise<void> {
  const sandbox = createSandbox({ root, isolation: 'context' });
  const value = (await sandbox.evaluate(source)).default;
  if (value !== expected) throw new Error(`expected ${String(expected)}, got ${String(value)}`);
  await sandbox.dispose();
}

describe('web globals', () => {
  let first = 0;
  bench(
    'first use',
    ...report.benchParts(
      'first use',
      [rows.control, rows.web],
      async (time) => {
        const control = () => time(rows.control, () => round(CONTROL, '2z'));
        const web = () => time(rows.web, () => round(WEB, '1z'));
        if (first++ % 2 === 0) {
          await control();
          await web();
        } else {
          await web();
          await control();
        }
      },
      ITERATIONS,
      WARMUP,
    ),
  );

  const sandbox = createSandbox({ root, isolation: 'context', timeout: 10_000 });
  let roundTrip: (() => Promise<unknown>) | undefined;
  let second = 0;
  bench(
    'encoding',
    ...report.benchParts(
      'encoding',
      [rows.hostEncode, rows.realmEncode],
      async (time) => {
        roundTrip ??= (
          await sandbox.evaluate(
            `const text = ${JSON.stringify(TEXT)};
             export const roundTrip = () => new TextDecoder().decode(new TextEncoder().encode(text)).length;`,
          )
        ).roundTrip as () => Promise<unknown>;
        const host = () => time(rows.hostEncode, () => new TextDecoder().decode(new TextEncoder().encode(TEXT)).length);
        const realm = () => time(rows.realmEncode, () => roundTrip!());
        if (second++ % 2 === 0) {
          await host();
          await realm();
        } else {
          await realm();
          await host();
        }
      },
      ITERATIONS,
      WARMUP,
    ),
  );
});
