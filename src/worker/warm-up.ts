/**
 * A thread's warm-up, in idle time. A new thread runs the library's code in V8's interpreter until
 * V8 finds it hot: on a thread of its own, its first 16 sandboxes took ~1.3 ms each after an idle
 * moment, and ~0.95 ms from about the 64th on (Node 20, create + evaluate + dispose from the host).
 * Lanes replace threads every 128 contexts (lane.ts), so without this the host would pay that on a
 * third of its sandboxes. A spare thread, started ahead of need, sits idle until it takes over: it
 * spends that time on a few sandboxes of its own, built, evaluated, called, copied for the wire
 * and disposed as the host's would be. After 8 of them its first sandboxes took ~1.0 ms.
 *
 * Only a lane's thread nobody is using warms up: one whose first sandbox was already waiting for
 * it (often a lane's first thread) warms up by serving it, a warm-up stops as soon as a sandbox
 * arrives, and a sandbox's own thread (`memoryLimitMb`), which serves that one alone, never does. Its sandboxes are the thread's own, in contexts Node never frees,
 * so a thread holds up to WARM_UP_ROUNDS contexts more than its lane counts.
 */
import type { ContextSandbox } from '../sandbox/context-sandbox.js';
import { encode } from './protocol.js';

/** Sandboxes a thread warms up with. */
export const WARM_UP_ROUNDS = 8;
/** How long after its start a thread waits for a first sandbox before it warms up. */
export const WARM_UP_AFTER_MS = 20;

/** What a sandbox of the host's would run: a module, its exported function, and the cached analysis of a source seen before. */
const FIRST = 'export default 1 + 1;\n';
const module = (round: number): string =>
  `export const list = [${round}, { a: "b" }];\n` +
  `export function add(a, b) { let n = 0; for (let i = 0; i < a; i++) { try { n += b; } catch { n = -1; } } return n; }\n`;

/**
 * Run up to WARM_UP_ROUNDS rounds while `idle()` says nobody uses the thread, each after the
 * event loop had a turn (a sandbox's first message gets in between). Resolves with the rounds
 * run; a failed round ends the warm-up (it is only ever a speed-up).
 */
export async function warmUp(idle: () => boolean, create: () => ContextSandbox): Promise<number> {
  let rounds = 0;
  while (rounds < WARM_UP_ROUNDS) {
    await new Promise((resolve) => setImmediate(resolve));
    if (!idle()) break;
    const sandbox = create();
    try {
      await sandbox.evaluate(FIRST, { filename: 'warm-up.mjs' });
      const namespace = await sandbox.evaluate<{ add(a: number, b: number): unknown }>(module(rounds), {
        filename: `warm-up-${rounds}.mjs`,
      });
      await namespace.add(3, 4);
      encode(namespace, () => 0);
    } catch {
      break;
    } finally {
      await sandbox.dispose();
    }
    rounds++;
  }
  return rounds;
}
