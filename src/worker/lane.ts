/**
 * A lane hands out worker threads (or child processes hosting one, src/process/) for new
 * sandboxes and recycles them. A thread serves a budget
 * of contexts (or of heap); past it, new sandboxes go to a fresh thread, started ahead of need so
 * nobody waits for one, and the old thread ends once its last sandbox is disposed, which frees
 * its whole heap — the only way to free contexts Node never collects (docs/ARCHITECTURE.md section 9).
 */
import type { Carrier } from './carrier.js';
import { WorkerThread } from './thread.js';

/**
 * Starts a carrier with a heap cap (or none). `warmUp`: it may warm up while nobody uses it
 * (warm-up.ts); a lane's carriers do, a sandbox's own does not, since it serves that one alone.
 */
export type StartCarrier = (memoryLimitMb: number | undefined, warmUp: boolean) => Carrier;

/** A worker thread: a lane's carriers unless it was given another start (the process lane's). */
export const startThread: StartCarrier = (memoryLimitMb, warmUp) => new WorkerThread(memoryLimitMb, warmUp);

/**
 * When a worker thread stops taking new sandboxes. Soft bounds: a spent thread whose successor is
 * still loading takes up to half its budget more rather than make sandboxes wait for the start.
 */
export interface RecycleBudget {
  /**
   * Contexts (sandboxes) one thread creates before it is retired. Default 128: a thread's start
   * and end cost ~55 ms of CPU, ~0.45 ms per sandbox at 128 (0.9 ms at 64, a third of a small
   * pool task's own cost); the contexts kept meanwhile are ~180 KB each for small modules (~25 MB).
   * A spare warmed up in idle time holds up to 8 more of its own (warm-up.ts), not counted here.
   */
  contexts?: number;
  /** Used heap, in MB, past which a thread is retired. Default 256. */
  heapMb?: number;
}

const DEFAULT_BUDGET: Required<RecycleBudget> = { contexts: 128, heapMb: 256 };
/**
 * Start the next thread when the current one has used this share of its budget: early enough that
 * it has loaded before it is needed even when every core is busy (a start then takes ~100 ms).
 */
const WARM_AT = 0.5;
/**
 * A spent thread keeps taking sandboxes while its successor is still loading, up to this share of
 * its budget: sandboxes queued on a loading thread would wait for all of its start (measured: with
 * 2 busy lanes on 2 cores, that idled lanes and a pool of 2 ran no faster than a pool of 1).
 */
const OVERRUN = 1.5;

export class ThreadLane {
  private current: Carrier | undefined;
  private readonly all = new Set<Carrier>();
  private spare: Carrier | undefined;
  private readonly budget: Required<RecycleBudget>;
  /** Threads this lane started (for tests and stats). */
  started = 0;

  /**
   * @param memoryLimitMb heap cap of each thread (shared by the sandboxes in it).
   * @param begin how a carrier starts: a worker thread here by default.
   */
  constructor(
    budget: RecycleBudget = {},
    private readonly memoryLimitMb?: number,
    private readonly begin: StartCarrier = startThread,
  ) {
    this.budget = { ...DEFAULT_BUDGET, ...budget };
    if (!(this.budget.contexts >= 1) || !(this.budget.heapMb > 0))
      throw new TypeError(`recycle: contexts must be at least 1 and heapMb more than 0, got ${JSON.stringify(budget)}`);
  }

  /** A thread with room for one more sandbox. */
  acquire(): Carrier {
    let thread = this.current;
    const waitForSpare =
      thread !== undefined && this.spare !== undefined && this.spare.accepting && !this.spare.ready && this.spent(thread) < OVERRUN;
    if (thread === undefined || !thread.accepting || (this.spent(thread) >= 1 && !waitForSpare)) {
      thread?.retire();
      thread = this.spare !== undefined && this.spare.accepting ? this.spare : this.start();
      this.spare = undefined;
      this.current = thread;
    }
    if (this.spare === undefined && this.spent(thread) + 1 / this.budget.contexts >= WARM_AT && this.budget.contexts > 1) {
      this.spare = this.start();
    }
    return thread;
  }

  /** Threads of this lane still running: the current one, a spare, and retired ones with sandboxes left. */
  get live(): number {
    for (const thread of this.all) if (!thread.alive) this.all.delete(thread);
    return this.all.size;
  }

  /** Retire every thread: each ends when its last sandbox is disposed (a spare at once). */
  close(): void {
    this.current?.retire();
    this.spare?.retire();
    this.current = this.spare = undefined;
  }

  /** Share of the budget a thread has used: the larger of contexts and heap. */
  private spent(thread: Carrier): number {
    return Math.max(thread.created / this.budget.contexts, thread.heapMb / this.budget.heapMb);
  }

  private start(): Carrier {
    this.started++;
    const thread = this.begin(this.memoryLimitMb, true);
    this.all.add(thread);
    return thread;
  }
}
