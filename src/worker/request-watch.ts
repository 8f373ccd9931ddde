/**
 * The host's last resort for a worker sandbox's requests: the worker keeps every deadline itself,
 * so a request still unanswered `limit` plus a grace after it was sent means the whole thread has
 * stopped answering. One timer per sandbox watches all its requests, not one per request: a call
 * is over in tens of µs, and arming and clearing a timer for each was a few percent of it. The
 * timer is armed for the earliest `due`, wakes at most once per deadline while requests flow, and
 * is unref'd: pending requests hold their carrier, which keeps the process alive.
 */
import { MAX_TIMER_MS } from '../run/deadline-timer.js';

/** What the watch reads of a pending request. */
export interface Watched {
  /** performance.now() past which the worker is taken as stuck (Infinity: never). */
  readonly due: number;
  /** The request's deadline, in ms, and what it was: the error names them. */
  readonly limit: number;
  readonly what: string;
}

// Node fires a timer of more than MAX_TIMER_MS at once: a longer wait is taken in steps.

export class RequestWatch {
  private timer: NodeJS.Timeout | undefined;
  /** The `due` the timer is armed for (Infinity: not armed). */
  private armedFor = Infinity;

  constructor(
    private readonly pending: ReadonlyMap<number, Watched>,
    private readonly overdue: (request: Watched) => void,
  ) {}

  /** A request due at `due` was just added to `pending`. */
  sent(due: number): void {
    if (due < this.armedFor) this.arm(due);
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private readonly check = (): void => {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const request of this.pending.values()) {
      if (request.due <= now) {
        this.overdue(request);
        return;
      }
      if (request.due < next) next = request.due;
    }
    if (next !== Infinity) this.arm(next);
  };

  private arm(due: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.armedFor = due;
    this.timer = setTimeout(this.check, Math.min(due - performance.now(), MAX_TIMER_MS)).unref();
  }
}
