/**
 * A realm is one fresh `vm` context plus the kit its bootstrap returned. Every entry into
 * sandbox code is a *turn*: one call under `timeout`, after which the context's own
 * microtask queue drains under the same bound (`microtaskMode: 'afterEvaluate'`).
 */
import vm from 'node:vm';
import { TURN_NAME } from '../constants.js';
import { HostOp, Job, type HostRequest, type JobKind, type ConsoleLevel, type RealmDeferred, type ThrownInfo, type TurnJob } from '../realm-protocol.js';
import { takeShell } from './warm-realms.js';
import { ReflectGetOwnPropertyDescriptor, isHostObject, isNativeError } from '../commons.js';
import { turnEnded, turnStarted } from './turn-clock.js';

/** What the bootstrap returns; every function here runs only code of esm-sandbox's own. */
export interface Kit {
  readonly FAIL: object;
  readonly ObjectPrototype: object;
  turn(): void;
  fail(error: unknown): object;
  setInTurn(value: boolean): void;
  /** The user's frames on the current stack, as rows of "url\tline\tcolumn\tfunction" (see realm-source/tame-stack.ts). */
  callerFrames(): string;
  /** Stores the job the next `turn()` runs. */
  prepare(...job: TurnJob): void;
  registerModule(url: string, edits: string): void;
  /** Defines the sandbox's frozen `process` (realm-source/process-shim.ts): `{ env: { NODE_ENV } }`. */
  installProcess(nodeEnv: string): void;
  /** `Function('return this')` answered with the realm's globalThis, `self` and `global` (realm-source/global-detection.ts). */
  installGlobalDetection(): void;
  object(nullProto: boolean): Record<PropertyKey, unknown>;
  array(): unknown[];
  date(ms: number): object;
  regexp(source: string, flags: string): object;
  map(): object;
  mapSet(map: object, key: unknown, value: unknown): void;
  set(): object;
  setAdd(set: object, value: unknown): void;
  arrayBuffer(length: number): ArrayBuffer;
  typed(tag: string, buffer: ArrayBuffer, byteOffset: number, length: number): object | undefined;
  /** A fresh error of this realm: of the constructor `base` (default: the one `name` names, else Error), named `name`. */
  error(name: string, message: string, base?: string): object;
  bridge(id: number, name: string, length: number): (...args: unknown[]) => unknown;
  deferred(): RealmDeferred;
}

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
}

/**
 * Node 20 settles a module's evaluation promise in a context with its own microtask queue only
 * when the context runs again; the lines with synchronous linking (22.23+, 24+) settle it alone.
 */
const NEEDS_DRAIN_TO_SETTLE = typeof (vm.SourceTextModule?.prototype as { linkRequests?: unknown } | undefined)?.linkRequests !== 'function';

const turnScript = new vm.Script(`${TURN_NAME}()`, { filename: 'esm-sandbox:turn' });

/** Raised inside the host when a turn was cut off by `timeout`; the owner turns it into a `TimeoutError`. */
export class TurnTimeout extends Error {
  override readonly name = 'TurnTimeout';
}

/**
 * Node's watchdog error. `runInContext` creates it in the *context's* realm (so `instanceof Error`
 * is false on the host), `module.evaluate` in the host's. Only own data properties are read: the
 * value may be a sandbox object, and nothing of the sandbox may run here.
 * @param hostOnly demand a host-realm error: where sandbox code can throw (a module's evaluation
 *   promise), a sandbox-made look-alike must not pass for a timeout.
 */
const isTimeout = (error: unknown, hostOnly = false): boolean => {
  if (!isNativeError(error) || (hostOnly && !isHostObject(error))) return false;
  const code = ReflectGetOwnPropertyDescriptor(error, 'code');
  return code !== undefined && 'value' in code && code.value === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
};

export class Realm {
  readonly context: vm.Context;
  readonly kit: Kit;
  /** The sandbox's own `Object.prototype`: the mark of its values (see run/rejections.ts). */
  readonly objectPrototype: object;
  readonly timeout: number;
  /** What `vm` gets as `timeout`: a whole number of ms, or nothing for an unbounded realm. */
  private readonly watchdog: number | undefined;
  private depth = 0;
  /** See importOpened. */
  private openImports = 0;
  private outcome: TurnOutcome | undefined;
  private dead = false;

  constructor(private readonly options: RealmOptions) {
    this.timeout = options.timeout;
    this.watchdog = Number.isFinite(options.timeout) ? Math.max(1, Math.round(options.timeout)) : undefined;
    const shell = takeShell(options.name, options.allocationCapBytes);
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

  get alive(): boolean { return !this.dead; }
  get inTurn(): boolean { return this.depth > 0; }

  /** Marks the realm unusable; later turns are refused by the owner. */
  kill(): void { this.dead = true; }

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
    } else {
      this.enter(() => turnScript.runInContext(this.context, { timeout: this.watchdog }), what);
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
   * runs, nothing is queued, work linear in its length), so no watchdog thread is armed at all.
   */
  async evaluate(module: vm.Module, what: string, mayAwait = true, bounded = false): Promise<void> {
    const started = performance.now();
    const timeout = bounded && this.openImports === 0 ? undefined : this.watchdog;
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
  importOpened(): void { this.openImports++; }
  importClosed(): void { this.openImports--; }

  /**
   * True when a watchdog armed at `started` cannot have fired yet. libuv's millisecond clock can
   * fire it up to 1 ms early, hence the 2 ms margin.
   */
  private watchdogIdle(started: number): boolean {
    return this.watchdog === undefined || performance.now() - started < this.watchdog - 2;
  }

  /** Drain the context's microtask queue as a turn of its own. */
  drain(what = 'microtasks'): void {
    if (this.depth > 0) return;
    this.turn(what, Job.None);
  }

  /**
   * Run host-started sandbox work (e.g. `module.evaluate`) as a turn: the kit knows a turn is
   * under way, and a timeout becomes `TurnTimeout`.
   */
  enter<T>(work: () => T, what: string): T {
    this.depth++;
    if (this.depth === 1) {
      this.kit.setInTurn(true);
      turnStarted(this.timeout);
    }
    try {
      return work();
    } catch (error) {
      if (isTimeout(error)) throw this.timedOut(what);
      throw error;
    } finally {
      this.depth--;
      if (this.depth === 0) {
        this.kit.setInTurn(false);
        turnEnded();
      }
    }
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
        case HostOp.Call: return host.call(a, b);
        case HostOp.TimerSet: host.timerSet(a, b, c); return undefined;
        case HostOp.TimerClear: host.timerClear(a); return undefined;
        case HostOp.Console: host.console(a, b); return undefined;
        case HostOp.Settled: host.settled(a, b, c, d); return undefined;
        case HostOp.Memory: host.memoryExceeded?.(); return undefined;
        case HostOp.Result: this.outcome = { threw: a, value: b, info: c }; return undefined;
        default: return undefined;
      }
    } catch (error) {
      // A fault of ours: never let a host error reach sandbox code.
      if (op === HostOp.Call) return this.kit.fail(this.kit.error('Error', 'esm-sandbox internal error in a bridged call'));
      // eslint-disable-next-line no-restricted-syntax -- a fault of the host's own callbacks, not a sandbox value
      process.emitWarning(`esm-sandbox: a host callback failed: ${error instanceof Error ? error.message : String(error)}`, 'EsmSandboxWarning');
      return undefined;
    }
  };
}
