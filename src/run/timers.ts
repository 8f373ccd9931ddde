/**
 * The host side of the sandbox's timers: real Node timers whose callbacks enter the sandbox as
 * turns. All of them are cleared when the sandbox is disposed.
 */
export class TimerTable {
  private readonly timers = new Map<number, NodeJS.Timeout>();

  constructor(
    private readonly fire: (id: number, repeat: boolean) => void,
    private readonly max = 10_000,
  ) {}

  set(id: number, ms: number, repeat: boolean): void {
    if (this.timers.size >= this.max) return;
    const handle = repeat
      ? setInterval(() => this.fire(id, true), ms)
      : setTimeout(() => {
          this.timers.delete(id);
          this.fire(id, false);
        }, ms);
    this.timers.set(id, handle);
  }

  clear(id: number): void {
    const handle = this.timers.get(id);
    if (handle === undefined) return;
    clearTimeout(handle);
    this.timers.delete(id);
  }

  clearAll(): void {
    for (const handle of this.timers.values()) clearTimeout(handle);
    this.timers.clear();
  }
}
