/**
 * The interleaved bench body several files share: each iteration times every part once, back to
 * back, so the parts see the same machine load, and the order is reversed every other iteration,
 * so that no part always runs on another's garbage (or always first after a pause).
 */
import type { MedianReport } from './report.js';

/** `bench(name, ...interleaved(report, name, parts, iterations, warmup))`, parts as `[row name, operation]`. */
export function interleaved(
  report: MedianReport,
  name: string,
  parts: ReadonlyArray<readonly [string, () => Promise<unknown>]>,
  iterations: number,
  warmupIterations: number,
): ReturnType<MedianReport['benchParts']> {
  const reversed = [...parts].reverse();
  let round = 0;
  return report.benchParts(
    name,
    parts.map(([part]) => part),
    async (time) => {
      for (const [part, operation] of round++ % 2 === 0 ? parts : reversed) await time(part, operation);
    },
    iterations,
    warmupIterations,
  );
}
