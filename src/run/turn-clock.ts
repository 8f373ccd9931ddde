/**
 * The outermost turn running in this thread, published for a watcher in another thread. Only
 * `process` isolation sets it up (src/process/child-main.ts): there a turn stuck in a builtin
 * that ignores Node's watchdog (`Array(6e7).fill(0)`, a global regex replace on a huge string)
 * still blocks the worker, and only a watcher outside it can see that and have the process killed.
 *
 * Slot 0: when the turn started, in ms since the watcher's epoch, plus 1 (0: no turn running).
 * Slot 1: the turn's `timeout` in ms (-1: unbounded).
 */
let clock: Int32Array | undefined;
let epoch = 0;
let open = 0;

export function publishTurns(slots: Int32Array, since: number): void {
  clock = slots;
  epoch = since;
}

export function turnStarted(timeout: number): void {
  if (clock === undefined || open++ > 0) return;
  Atomics.store(clock, 1, Number.isFinite(timeout) ? Math.min(Math.ceil(timeout), 0x7fffffff) : -1);
  Atomics.store(clock, 0, Date.now() - epoch + 1);
}

export function turnEnded(): void {
  if (clock === undefined || --open > 0) return;
  Atomics.store(clock, 0, 0);
}
