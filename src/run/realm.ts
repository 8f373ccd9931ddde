/**
 * A realm is one fresh `vm` context plus the kit its bootstrap returned. Every entry into
 * sandbox code is a *turn*: one call under `timeout`, after which the context's own
 * microtask queue drains under the same bound (`microtaskMode: 'afterEvaluate'`).
 */
import vm from 'node:vm';
import { now } from '../commons.js';
import { TURN_NAME } from '../constants.js';
import { HostOp, Job } from '../realm-protocol.js';
import type { HostRequest, JobKind, ConsoleLevel, ThrownInfo, TurnJob } from '../realm-protocol.js';
import { takeShell } from './warm-realms.js';
import { isTimeout, runWatched } from './watchdog.js';
import { turnEnded, turnStarted } from './turn-clock.js';
import { answerWeb } from './web-host.js';
import type { Kit } from './kit.js';

export type { ThrownInfo };

export interface TurnOutcome {
  threw: boolean;
  value: unknown;
  info: ThrownInfo | undefined;
}

/** The host's answers to the sandbox's requests (bridge calls, timers, console...). */
export interface RealmHost {
  call(bridgeId: number, args: unknown[]): unknown;
  timerSet(id: number, ms: number, repeat: boolean): void;
  timerClear(id: number): void;
  console(level: ConsoleLevel, args: unknown[]): void;
  settled(token: number, ok: boolean, value: unknown, info: ThrownInfo | undefined): void;
  /** A turn tried to allocate more ArrayBuffer memory than `allocationCapBytes` (it was refused). */
  memoryExceeded?(): void;
  /** CommonJS `require()`: the graph key of what `specifier` names from `referrer`, or the kit's FAIL mark. */
  require?(referrer: string, specifier: string): unknown;
}

export interface RealmOptions {
  name: string;
  /** ms per turn (Node's watchdog: wall clock while sandbox code runs). */
  timeout: number;
  host: RealmHost;
  /** Called once when a turn runs past `timeout`; the realm is dead from then on. */
  onTimeout(what: string): void;
  /** ArrayBuffer bytes one turn may allocate (realm-source/memory-cap.ts); none: no count is kept. */
  allocationCapBytes?: number;
  /** `process.env.NODE_ENV` of the realm's own `process`; without it the realm has no `process`. */
  nodeEnv?: string;
  /**
   * The realm's modules are metered (transform/meter.ts), so turns other than module evaluations
   * run without a watchdog thread: the metered code's own clock bounds them.
   */
  metering?: boolean;
}

/**
 * Node 20 settles a module's evaluation promise in a context with its own microtask queue only
 * when the context runs again; the lines with synchronous linking (22.23+, 24+) settle it alone.
 */
const NEEDS_DRAIN_TO_SETTLE =
  typeof (vm.SourceTextModule?.prototype as { linkRequests?: unknown } | undefined)?.linkRequests !== 'function';

const turnScript = new vm.Script(`${TURN_NAME}()`, { filename: 'esm-sandbox:turn' });

/**
 * When a metered realm's turns go without a watchdog. A regular expression run under a watchdog
 * of its own costs ~60 µs, one watchdog per turn ~100-200 µs: code that matches a lot is better
 * off with the latter (60,000 matches in one turn, watched one by one, took 5 s). So a realm
 * starts with watched turns, in which matching costs nothing more, and turns to unwatched ones
 * after QUIET_TURNS turns in a row without a regular expression; a turn that then watches more
 * than WATCHED_REGEX_RUNS of them one by one sends it back.
 */
const QUIET_TURNS = 8;
const WATCHED_REGEX_RUNS = 16;

/** Raised inside the host when a turn was cut off by `timeout`; the owner turns it into a `TimeoutError`. */
export class TurnTimeout extends Error {
  override readonly name = 'TurnTimeout';
}

export class Realm {
  readonly context: vm.Context;
  readonly kit: Kit;
  /** The sandbox's own `Object.prototype`: the mark of its values (see run/rejections.ts). */
  readonly objectPrototype: object;
  readonly timeout: number;
  /** See RealmOptions.metering. */
  readonly metered: boolean;
  /** What `vm` gets as `timeout`: a whole number of ms, or nothing for an unbounded realm. */
  private readonly watchdog: number | undefined;
  private depth = 0;
  /** now() when the running metered turn's time is up (Infinity: none, or a watchdog bounds it). */
  private meterDeadline = Infinity;
  /** See QUIET_TURNS: outermost turns in a row that ran no regular expression, while turns are watched. */
  private quietTurns = 0;
  /** Regular expression runs watched one by one in the running turn (see WATCHED_REGEX_RUNS). */
  private regexRuns = 0;
  /** See importOpened. */
  private openImports = 0;
  /** A BigInt may exist here (see enableBigInt): every turn is watched. */
  private bigint = false;
  /** No sandbox code was evaluated yet: only the bootstrap, trusted sources and host data are here, and no turn needs a watchdog. */
  private pristine = true;
  private outcome: TurnOutcome | undefined;
  private dead = false;
  /** now() when this realm was adopted: the zero of the realm's `performance.now()`. */
  private readonly timeOrigin = now();

  constructor(private readonly options: RealmOptions) {
    this.timeout = options.timeout;
    this.metered = options.metering === true;
    this.watchdog = Number.isFinite(options.timeout) ? Math.max(1, Math.round(options.timeout)) : undefined;
    const shell = takeShell(options.name, options.allocationCapBytes, this.metered);
    shell.adopt(this.hostEntry);
    this.context = shell.context;
    this.kit = shell.kit;
    // A sandbox with packages (nodeEnv set) gets what bundled libraries probe for.
    if (options.nodeEnv !== undefined) {
      this.kit.installProcess(options.nodeEnv);
      this.kit.installGlobalDetection();
    }
    this.objectPrototype = this.kit.ObjectPrototype;
  }

  get alive(): boolean {
    return !this.dead;
  }
  get inTurn(): boolean {
    return this.depth > 0;
  }

  /** Marks the realm unusable; later turns are refused by the owner. */
  kill(): void {
    this.dead = true;
  }

  /**
   * Run one job as a turn. Synchronous: returns what the job returned or threw. Nested turns
   * (sandbox → host → sandbox) run inside the outer turn's bound, without a new watchdog.
   * @throws TurnTimeout when the turn (or the microtasks it queued) ran past `timeout`.
   */
  turn(what: string, ...job: TurnJob): TurnOutcome;
  // Positional, not the rest array of the signature above: no allocation per turn.
  turn(what: string, kind: JobKind, a?: unknown, b?: unknown, c?: unknown): TurnOutcome {
    if (this.dead) throw new TurnTimeout('the realm is dead');
    const { kit } = this;
    (kit.prepare as (kind: JobKind, a: unknown, b: unknown, c: unknown) => void)(kind, a, b, c);
    this.outcome = undefined;
    if (this.depth > 0) {
      kit.turn();
      // Out of time in a nested turn: stop here, as the watchdog would have, not in the host code between.
      if (this.metered && kit.expired()) throw this.timedOut(what);
    } else if (this.pristine) {
      this.enter(() => turnScript.runInContext(this.context), what);
    } else if (this.metered && this.quietTurns >= QUIET_TURNS && !this.bigint) {
      // No watchdog: the metered code's clock ends the turn. The script (not a direct call of
      // the kit) because Node drains the context's microtask queue only after a run in it.
      this.regexRuns = 0;
      this.enter(() => turnScript.runInContext(this.context), what, this.timeout);
      if (this.regexRuns > WATCHED_REGEX_RUNS) this.quietTurns = 0;
    } else {
      this.enter(() => turnScript.runInContext(this.context, { timeout: this.watchdog }), what);
      if (this.metered) this.quietTurns = kit.regexUsed() ? 0 : this.quietTurns + 1;
    }
    const outcome = this.outcome ?? { threw: false, value: undefined, info: undefined };
    this.outcome = undefined;
    return outcome;
  }

  /**
   * Evaluate a linked module as a turn. Node 20 settles the evaluation promise of a context with
   * its own microtask queue only once something runs in that context again, hence the drain.
   *
   * That drain is a second watchdog (~80 µs, most of a trivial import). It is skipped when the
   * outcome is already certain: `mayAwait` false (no top-level await in the graph, so evaluation
   * cannot suspend), status `evaluated` (not `errored`), and the call returned before its
   * watchdog could have fired (a microtask loop cut off by the timeout also leaves `evaluated`,
   * with the rejection still in flight). Then the evaluation and every microtask it queued have
   * run; what is left queued is Node's own continuation, which the next turn runs.
   *
   * `bounded`: the graph proved the module straight-line (analyze/bounded.ts: no user function
   * runs, nothing is queued, work linear in its length), so no watchdog thread is armed at all;
   * nor for `userCode` false (trusted source, host data) while the realm is `pristine`.
   */
  async evaluate(module: vm.Module, what: string, mayAwait = true, bounded = false, userCode = true): Promise<void> {
    const started = now();
    if (userCode) this.pristine = false;
    const timeout = this.pristine || (bounded && this.openImports === 0) ? undefined : this.watchdog;
    const done = this.enter(() => module.evaluate({ timeout }), what);
    if (NEEDS_DRAIN_TO_SETTLE) {
      // If the drain times out, or is skipped, nobody awaits `done`: keep its rejection from surfacing as the host's.
      // eslint-disable-next-line no-restricted-syntax -- module.evaluate()'s own promise, made by Node in the host realm
      done.catch(() => {});
      if (!mayAwait && module.status === 'evaluated' && this.watchdogIdle(started)) return;
      this.drain(what);
    }
    try {
      await done;
    } catch (error) {
      // User code can reject this promise too: only the host's own watchdog error counts.
      if (isTimeout(error, true)) throw this.timedOut(what);
      throw error;
    }
  }

  /**
   * An `import()` of sandbox code is in flight, or settled without its continuation having run
   * in a turn yet. V8 queues that continuation (user code) on the context's own microtask queue
   * outside any turn, and the next checkpoint runs it: a `bounded` evaluation, having no
   * watchdog, must not be that checkpoint. Every other way into the queue is a turn, which
   * drains it under the watchdog before it ends.
   */
  importOpened(): void {
    this.openImports++;
  }
  importClosed(): void {
    this.openImports--;
  }

  /**
   * True when a watchdog armed at `started` cannot have fired yet. libuv's millisecond clock can
   * fire it up to 1 ms early, hence the 2 ms margin.
   */
  private watchdogIdle(started: number): boolean {
    return this.watchdog === undefined || now() - started < this.watchdog - 2;
  }

  /**
   * Ms left to the running turn when metered code's clock bounds it (Infinity otherwise): what a
   * host function that blocks inside the turn (a worker waiting for its host's answer) may wait,
   * since no watchdog will wake it.
   */
  turnTimeLeft(): number {
    return this.meterDeadline - now();
  }

  /** The running metered turn is out of time (see turnTimeLeft): it ends as if its code had found out. */
  expireTurn(): void {
    this.kit.expire();
  }

  /**
   * From now on a BigInt may exist in this realm, whose operations metered code cannot stop
   * (realm-source/tame-bigint.ts): every later turn is watched, and the BigInt builtins come back.
   * @returns false when the running turn has no watchdog: what would bring the BigInt in must not.
   */
  enableBigInt(): boolean {
    if (!this.metered || this.bigint) return true;
    this.bigint = true;
    this.kit.enableBigInt();
    return this.depth === 0 || this.meterDeadline === Infinity;
  }

  /** Drain the context's microtask queue as a turn of its own. */
  drain(what = 'microtasks'): void {
    if (this.depth > 0) return;
    this.turn(what, Job.None);
  }

  /**
   * Run host-started sandbox work (e.g. `module.evaluate`) as a turn: the kit knows a turn is
   * under way, and a timeout (the watchdog's, or metered code's) becomes `TurnTimeout`.
   * @param meterMs the metered code's time (Infinity: a watchdog bounds `work`, or nothing does).
   */
  enter<T>(work: () => T, what: string, meterMs = Infinity): T {
    this.depth++;
    const outermost = this.depth === 1;
    if (outermost) {
      this.kit.setInTurn(true, meterMs);
      this.meterDeadline = now() + meterMs;
      turnStarted(this.timeout);
    }
    let result: T;
    try {
      result = work();
    } catch (error) {
      if (isTimeout(error) || (outermost && this.metered && this.kit.expired())) throw this.timedOut(what);
      throw error;
    } finally {
      this.depth--;
      if (this.depth === 0) {
        this.meterDeadline = Infinity;
        this.kit.setInTurn(false);
        turnEnded();
      }
    }
    if (outermost && this.metered && this.kit.expired()) throw this.timedOut(what);
    return result;
  }

  /** Runs the kit's pending regular expression under a watchdog of `ms`; false if it ran out of time. */
  private watchRegex(ms: number): boolean {
    this.regexRuns++;
    return runWatched(this.kit.runRegex, ms);
  }

  private timedOut(what: string): TurnTimeout {
    if (!this.dead) {
      this.dead = true;
      this.options.onTimeout(what);
    }
    return new TurnTimeout(`${what} exceeded ${this.timeout} ms`);
  }

  /**
   * The single host entry handed to the bootstrap. It must never throw into the sandbox. Its
   * parameters are positional (no array per call); typed as the HostRequest union, they narrow
   * together on `op`.
   */
  private readonly hostEntry: (...request: HostRequest) => unknown = (op, a, b, c, d) => {
    const { host } = this.options;
    try {
      switch (op) {
        case HostOp.Call:
          return host.call(a, b);
        case HostOp.TimerSet:
          host.timerSet(a, b, c);
          return undefined;
        case HostOp.TimerClear:
          host.timerClear(a);
          return undefined;
        case HostOp.Console:
          host.console(a, b);
          return undefined;
        case HostOp.Settled:
          host.settled(a, b, c, d);
          return undefined;
        case HostOp.Memory:
          host.memoryExceeded?.();
          return undefined;
        case HostOp.Regex:
          return this.watchRegex(a);
        case HostOp.UrlParse:
        case HostOp.UrlSet:
        case HostOp.Random:
        case HostOp.RandomUUID:
        case HostOp.Now:
        case HostOp.TimeOrigin:
          return answerWeb(this.kit, this.timeOrigin, op, a, b, c);
        case HostOp.Require:
          return host.require === undefined ? this.kit.fail(this.kit.error('Error', 'require() is not available')) : host.require(a, b);
        case HostOp.Result:
          this.outcome = { threw: a, value: b, info: c };
          return undefined;
        default:
          return undefined;
      }
    } catch (error) {
      // A fault of ours: never let a host error reach sandbox code.
      if (op === HostOp.Call || op === HostOp.Require)
        return this.kit.fail(this.kit.error('Error', 'esm-sandbox internal error in a bridged call'));
      process.emitWarning(
        // eslint-disable-next-line no-restricted-syntax -- a fault of the host's own callbacks, not a sandbox value
        `esm-sandbox: a host callback failed: ${error instanceof Error ? error.message : String(error)}`,
        'EsmSandboxWarning',
      );
      return undefined;
    }
  };
}
