/**
 * The host's last resort for a worker sandbox's requests: the worker keeps every deadline itself,
 * so a request still unanswered `limit` plus a grace after it was sent means the whole thread has
 * stopped answering. One timer watches the requests of every sandbox, not one per request nor one
 * per sandbox: a call is over in tens of µs and a sandbox is often created for one request, and
 * arming and clearing a timer for each was a few percent of a call and ~15 µs of a sandbox's
 * creation after an idle moment. The timer is armed for the earliest `due`, wakes at most once
 * per deadline while requests flow, and is unref'd: pending requests hold their carrier, which
 * keeps the process alive.
 */
import { now } from '../commons.js';
import { MAX_TIMER_MS } from '../run/deadline-timer.js';

/** What the watch reads of a pending request. */
export interface Watched {
  /** now() past which the worker is taken as stuck (Infinity: never). */
  readonly due: number;
  /** The request's deadline, in ms, and what it was: the error names them. */
  readonly limit: number;
  readonly what: string;
}

/** Watches that sent a request with a finite `due` since the timer last found them idle. */
const watching = new Set<RequestWatch>();
let timer: NodeJS.Timeout | undefined;
/** The `due` the timer is armed for (Infinity: not armed). */
let armedFor = Infinity;

function arm(due: number): void {
  if (timer !== undefined) clearTimeout(timer);
  armedFor = due;
  // Node fires a timer of more than MAX_TIMER_MS at once: a longer wait is taken in steps.
  timer = setTimeout(check, Math.min(Math.max(due - now(), 0), MAX_TIMER_MS)).unref();
}

function check(): void {
  timer = undefined;
  armedFor = Infinity;
  const time = now();
  let next = Infinity;
  for (const watch of watching) {
    const due = watch.scan(time);
    if (due === Infinity) watching.delete(watch);
    else if (due < next) next = due;
  }
  if (next !== Infinity) arm(next);
}

/** One sandbox's requests, under the shared timer. */
export class RequestWatch {
  private stopped = false;

  constructor(
    private readonly pending: ReadonlyMap<number, Watched>,
    private readonly overdue: (request: Watched) => void,
  ) {}

  /** A request due at `due` was just added to `pending`. */
  sent(due: number): void {
    if (this.stopped || due === Infinity) return;
    watching.add(this);
    if (due < armedFor) arm(due);
  }

  /** The sandbox is gone: none of its requests is reported any more. */
  stop(): void {
    this.stopped = true;
    watching.delete(this);
  }

  /**
   * Report the first overdue request (the sandbox dies of it, so one is enough), or say when the
   * earliest is due: Infinity when none is pending or the sandbox is gone.
   */
  scan(now: number): number {
    if (this.stopped) return Infinity;
    let next = Infinity;
    for (const request of this.pending.values()) {
      if (request.due <= now) {
        this.overdue(request);
        return Infinity;
      }
      if (request.due < next) next = request.due;
    }
    return next;
  }
}
