/**
 * A timer for a `deadline`, which may be longer than Node's timers take: Node fires a delay above
 * 2^31 - 1 ms (24.8 days) after 1 ms, which made `deadline: 3e9` fail every operation at once. A
 * longer one waits in steps of at most that.
 */
import { now } from '../commons.js';

export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Calls `fire` once `ms` have passed; the function returned cancels it. */
export function deadlineTimer(ms: number, fire: () => void): () => void {
  const due = now() + ms;
  let timer: NodeJS.Timeout;
  const arm = (left: number) => {
    timer = left > MAX_TIMER_MS ? setTimeout(() => arm(due - now()), MAX_TIMER_MS) : setTimeout(fire, Math.max(0, left));
  };
  arm(ms);
  return () => clearTimeout(timer);
}
