/**
 * Medians and target checks for the benches. vitest's bench table shows mean and percentiles
 * but not the median the targets are stated in, so each bench records its own run-phase samples
 * (one `performance.now()` pair per iteration: noise far below the millisecond-scale work it
 * times) and, once the last bench of a group has run, prints one table: bench, median, baseline
 * median, ratio, target, met, and the median of the process's CPU time for the same iterations.
 *
 * The CPU column is there because this machine is shared: under load a wall-clock median also
 * counts the time the process waited for a core, while CPU time counts only work, of every thread
 * of the process (a worker thread's and V8's helpers' included).
 */
import type { BenchOptions } from 'vitest';

type Fn = () => unknown;
type Body = () => Promise<void>;
/** Times one part of an iteration: its samples are kept under `part`, a row name of their own. */
export type PartTimer = <T>(part: string, op: () => T | Promise<T>) => Promise<T>;

export interface Row {
  /** The bench whose median is checked. */
  name: string;
  /** The bench it is compared with. */
  baseline?: string;
  /** Divide the median by this to report a per-operation figure (e.g. calls per iteration). */
  perIteration?: number;
  unit?: 'ms' | 'ns';
  /** Absolute bound on the (per-operation) median, in `unit`. */
  maxMedian?: number;
  /** Bound on median / baseline median. */
  maxRatio?: number;
}

export class MedianReport {
  private readonly samples = new Map<string, number[]>();
  private readonly cpuSamples = new Map<string, number[]>();
  private readonly done = new Set<string>();

  constructor(
    private readonly title: string,
    private readonly rows: Row[],
    private readonly expected: readonly string[],
    /** `'min'` for nanosecond work on a loaded machine: the fastest iteration is the one the load left alone. */
    private readonly statistic: 'median' | 'min' = 'median',
  ) {}

  /** `bench(name, ...report.bench(name, fn, iterations, warmup))`: timed body plus options. */
  bench(name: string, fn: Fn, iterations: number, warmupIterations: number): [Body, BenchOptions] {
    let recording = false;
    const samples: number[] = [];
    const cpuSamples: number[] = [];
    this.samples.set(name, samples);
    this.cpuSamples.set(name, cpuSamples);
    const body = async () => {
      const cpu = process.cpuUsage();
      const start = performance.now();
      await fn();
      if (!recording) return;
      samples.push(performance.now() - start);
      cpuSamples.push(cpuMs(process.cpuUsage(cpu)));
    };
    const options: BenchOptions = {
      iterations,
      time: 0,
      warmupIterations,
      warmupTime: 0,
      setup: (_task, mode) => {
        recording = mode === 'run';
      },
      teardown: (_task, mode) => {
        if (mode !== 'run') return;
        recording = false;
        this.done.add(name);
        if (this.expected.every((n) => this.done.has(n))) this.print();
      },
    };
    return [body, options];
  }

  /**
   * A bench whose body times parts of each iteration itself, e.g. the baseline and the candidate
   * back to back: both parts then see the same machine load and the same number of leaked
   * contexts, which sequential benches cannot give. Rows may name the parts.
   */
  benchParts(
    name: string,
    parts: readonly string[],
    body: (time: PartTimer) => Promise<void>,
    iterations: number,
    warmupIterations: number,
  ): [Body, BenchOptions] {
    let recording = false;
    for (const part of parts) {
      this.samples.set(part, []);
      this.cpuSamples.set(part, []);
    }
    const time: PartTimer = async (part, op) => {
      const cpu = process.cpuUsage();
      const start = performance.now();
      const value = await op();
      if (recording) {
        this.samples.get(part)?.push(performance.now() - start);
        this.cpuSamples.get(part)?.push(cpuMs(process.cpuUsage(cpu)));
      }
      return value;
    };
    const [timed, options] = this.bench(name, () => body(time), iterations, warmupIterations);
    const { setup, teardown } = options;
    return [
      timed,
      {
        ...options,
        setup: (task, mode) => {
          recording = mode === 'run';
          return setup?.(task, mode);
        },
        teardown: (task, mode) => {
          recording = false;
          return teardown?.(task, mode);
        },
      },
    ];
  }

  median(name: string, samples = this.samples): number {
    const list = [...(samples.get(name) ?? [])].sort((a, b) => a - b);
    if (list.length === 0) return Number.NaN;
    if (this.statistic === 'min') return list[0]!;
    const mid = list.length >> 1;
    return list.length % 2 === 1 ? list[mid]! : (list[mid - 1]! + list[mid]!) / 2;
  }

  private print(): void {
    const lines = [
      `\n${this.title} (${this.statistic === 'min' ? 'minimum' : 'medians'} of the run phase)`,
      `| bench | ${this.statistic} | baseline | baseline ${this.statistic} | ratio | target | met | CPU ${this.statistic} |`,
      '|---|---|---|---|---|---|---|---|',
    ];
    for (const row of this.rows) {
      const unit = row.unit ?? 'ms';
      const scale = (unit === 'ns' ? 1e6 : 1) / (row.perIteration ?? 1);
      const median = this.median(row.name) * scale;
      const cpu = this.median(row.name, this.cpuSamples) * scale;
      const base = row.baseline === undefined ? Number.NaN : this.median(row.baseline) * scale;
      const ratio = median / base;
      const checks: string[] = [];
      let met = true;
      if (row.maxMedian !== undefined) {
        checks.push(`< ${row.maxMedian} ${unit}`);
        met &&= median < row.maxMedian;
      }
      if (row.maxRatio !== undefined) {
        checks.push(`<= ${row.maxRatio}x`);
        met &&= ratio <= row.maxRatio;
      }
      const fmt = (v: number) => (Number.isNaN(v) ? '-' : `${v.toFixed(unit === 'ns' ? 0 : 3)} ${unit}`);
      lines.push(
        `| ${row.name} | ${fmt(median)} | ${row.baseline ?? '-'} | ${fmt(base)} | ${Number.isNaN(ratio) ? '-' : ratio.toFixed(2)} | ${checks.join(', ') || '-'} | ${checks.length === 0 ? '-' : met ? 'yes' : 'NO'} | ${fmt(cpu)} |`,
      );
    }
    console.log(lines.join('\n'));
  }
}

/** A `process.cpuUsage()` difference (user + system, µs) in milliseconds, the unit of the samples. */
function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}
