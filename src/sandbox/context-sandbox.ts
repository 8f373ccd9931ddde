/**
 * `context` isolation: the sandbox's realm lives in this thread. Every operation (import,
 * evaluate, a call into the sandbox) runs under the deadline; every turn under the timeout.
 * Past either, the sandbox is dead: timers cleared, pending operations rejected.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type vm from 'node:vm';
import { now } from '../commons.js';
import { DeadlineError, DisposedError, EsmSandboxError, MemoryLimitError, ResolveError, TimeoutError } from '../errors/errors.js';
import { ErroredDependency, ModuleGraph } from '../link/graph.js';
import { Membrane } from '../membrane/membrane.js';
import { Packages } from '../resolve/packages.js';
import { isInside, resolveSpecifier, type Resolution, type ResolverOptions } from '../resolve/resolver.js';
import { Job } from '../realm-protocol.js';
import { Realm, TurnTimeout, type ThrownInfo } from '../run/realm.js';
import { deadlineTimer } from '../run/deadline-timer.js';
import { routeRejections, supervise } from '../run/rejections.js';
import { openDiskCache } from '../load/disk-cache.js';
import { thrownToHost } from '../run/thrown.js';
import { TimerTable } from '../run/timers.js';
import type { ConsoleLevel, EvaluateOptions, ModuleNamespace, Sandbox } from '../types.js';
import { Death } from './death.js';
import { importRejectionShape } from './import-rejection.js';
import type { NormalizedOptions } from './options.js';

/** A file name that is a path segment of its own (no separator, not `.` or `..`) and that a file: URL spells as it is. */
const PLAIN_NAME = /^(?!\.\.?$)[\w.-]+$/;

/** Background turns may use this share of a window's wall clock (see chargeBackground). */
const BACKGROUND_SHARE = 0.5;
const BACKGROUND_WINDOW_MS = 1_000;

export class ContextSandbox implements Sandbox {
  readonly isolation = 'context' as const;
  readonly root: string;
  private readonly realm: Realm;
  private readonly membrane: Membrane;
  private readonly graph: ModuleGraph;
  private readonly timers: TimerTable;
  private readonly resolver: ResolverOptions;
  private readonly evaluations = new WeakMap<vm.Module, Promise<void>>();
  /**
   * The host error a failed evaluation rejected with → the value the sandbox threw. The host gets
   * the first; an import() inside the sandbox rejects with the second, as the spec says.
   */
  private readonly thrownInside = new WeakMap<Error, unknown>();
  private readonly inflight = new Set<(error: Error) => void>();
  private readonly death = new Death();
  private evaluated = 0;
  /** Wall-clock ms of background turns in the current window (see chargeBackground). */
  private backgroundStart = 0;
  private backgroundSpent = 0;

  constructor(private readonly options: NormalizedOptions) {
    this.root = options.root;
    this.resolver = { root: options.root, isAllowed: (s) => options.modules.has(s) };
    if (options.packages !== undefined) this.resolver.packages = new Packages(options.root, options.packages);
    this.realm = new Realm({
      name: options.name,
      timeout: options.timeout,
      metering: options.metering,
      host: {
        // A turn can outlive its sandbox (dispose() called from a bridged function): from then
        // on no host function runs for it, and no new host timer keeps the process alive.
        call: (id, args) =>
          !this.death.dead ? this.membrane.call(id, args) : this.realm.kit.fail(this.realm.kit.error('Error', 'The sandbox is disposed')),
        timerSet: (id, ms, repeat) => {
          if (!this.death.dead) this.timers.set(id, ms, repeat);
        },
        timerClear: (id) => this.timers.clear(id),
        console: (level, args) => this.onConsole(level as ConsoleLevel, args),
        settled: (token, ok, value, info) => this.membrane.settled(token, ok, value, info),
        memoryExceeded: () => this.die(new MemoryLimitError(options.memoryLimitMb)),
        require: (referrer, specifier) => this.require(referrer, specifier),
      },
      onTimeout: (what) => this.die(new TimeoutError(options.timeout, what)),
      // Set only inside a worker thread with a heap cap (create.ts refuses it for `context`).
      allocationCapBytes: options.memoryLimitMb === undefined ? undefined : options.memoryLimitMb * 1_048_576,
      nodeEnv: options.nodeEnv,
    });
    this.membrane = new Membrane(this.realm, {
      toHostError: (value, info) => this.toHostError(value, info),
      operation: (what, work) => this.operation(what, work),
      operationNow: (work) => this.operationNow(work),
      settleTurnEnded: (started) => this.chargeBackground(started),
      deadline: options.deadline,
      unwatched: this.unwatched,
    });
    this.timers = new TimerTable((id) => this.fireTimer(id));
    this.graph = new ModuleGraph({
      realm: this.realm,
      membrane: this.membrane,
      resolver: this.resolver,
      modules: options.modules,
      policy: options.policy,
      policyFingerprint: options.policyFingerprint,
      limits: { maxModuleBytes: options.maxModuleBytes },
      disk: openDiskCache(options.cacheDir),
      importMeta: options.importMeta,
      onWarning: (d) => options.onWarning?.(d),
      dynamicImport: (specifier, referrer, attributes) => this.dynamicImport(specifier, referrer, attributes),
    });
    routeRejections(this.realm.objectPrototype, (reason) => this.onUnhandledRejection(reason));
  }

  get disposed(): boolean {
    return this.death.dead;
  }

  /** Ms the running turn may still block the thread when no watchdog can wake it (Realm.turnTimeLeft). */
  turnTimeLeft(): number {
    return this.realm.turnTimeLeft();
  }

  /** The running turn ran out of time while the host blocked it (Realm.expireTurn). */
  expireTurn(): void {
    this.realm.expireTurn();
  }

  import<T extends ModuleNamespace = ModuleNamespace>(specifier: string): Promise<T> {
    return this.operation(`import("${specifier}")`, async () => {
      const resolution = await resolveSpecifier(specifier, this.options.rootUrl, this.resolver);
      return this.namespaceOf(await this.run(resolution, `evaluation of ${specifier}`)) as T;
    });
  }

  evaluate<T extends ModuleNamespace = ModuleNamespace>(source: string, options: EvaluateOptions = {}): Promise<T> {
    const filename = options.filename ?? `evaluate-${++this.evaluated}.mjs`;
    return this.operation(`evaluate(${filename})`, async () => {
      if (typeof source !== 'string') throw new TypeError('evaluate(source): source must be a string');
      let file: string;
      let url: string;
      if (PLAIN_NAME.test(filename)) {
        // A name of the root itself needing no encoding (what evaluate() names by default): its URL is the root's plus the name.
        file = path.join(this.root, filename);
        url = `${this.options.rootUrl}${filename}`;
      } else {
        file = path.resolve(this.root, filename);
        if (!isInside(this.root, file)) throw new ResolveError(filename, undefined, `it is outside the sandbox root ${this.root}`);
        url = pathToFileURL(file).href;
      }
      const module = await this.run({ kind: 'file', key: url, url, path: file }, `evaluation of ${filename}`, source);
      return this.namespaceOf(module) as T;
    });
  }

  async files(): Promise<string[]> {
    return this.graph.files();
  }

  async dispose(): Promise<void> {
    this.die(undefined);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  /**
   * Bound host-initiated work by the deadline; a nested call (from inside a turn) is already
   * bounded. The promise is supervised: if the host's code never handles its rejection, the
   * rejection goes to `onError`, not to the host process (run/rejections.ts).
   */
  private operation<T>(what: string, work: () => Promise<T>): Promise<T> {
    return supervise(this.bounded(what, work), this.unwatched);
  }

  /** Synchronous work (a nested call served by a worker): its turn's `timeout` bounds it. */
  private operationNow<T>(work: () => T): T {
    if (this.death.dead) throw this.death.rejection;
    try {
      return work();
    } catch (error) {
      throw error instanceof TurnTimeout ? (this.death.dead ? this.death.reason : error) : error;
    }
  }

  private bounded<T>(what: string, work: () => Promise<T>): Promise<T> {
    if (this.death.dead) return Promise.reject(this.death.rejection);
    if (this.realm.inTurn) return work();
    return new Promise<T>((resolve, reject) => {
      let cancel: (() => void) | undefined;
      const finish = () => {
        cancel?.();
        this.inflight.delete(fail);
      };
      const fail = (error: Error) => {
        finish();
        reject(error);
      };
      this.inflight.add(fail);
      if (Number.isFinite(this.options.deadline)) {
        cancel = deadlineTimer(this.options.deadline, () => this.die(new DeadlineError(this.options.deadline, what)));
      }
      work().then(
        (value) => {
          finish();
          resolve(value);
        },
        (error: unknown) => {
          finish();
          reject(error instanceof TurnTimeout ? (this.death.dead ? this.death.reason : error) : error);
        },
      );
    });
  }

  /** Load, link and evaluate: the module's namespace is complete once this resolves. */
  private async run(resolution: Resolution, what: string, virtualSource?: string): Promise<vm.Module> {
    let module: vm.Module;
    try {
      module = await this.graph.prepare(resolution, virtualSource);
    } catch (error) {
      if (error instanceof ErroredDependency) await this.evaluateOnce(error.module, what);
      throw error;
    }
    await this.evaluateOnce(module, what);
    return module;
  }

  private evaluateOnce(module: vm.Module, what: string): Promise<void> {
    let done = this.evaluations.get(module);
    if (done === undefined) {
      const { graph } = this;
      done = this.realm
        .evaluate(module, what, graph.mayAwait(module), graph.isStraightLine(module), graph.runsUserCode(module))
        .catch((error: unknown) => {
          if (error instanceof TurnTimeout) throw error;
          const hostError = this.toHostError(error, undefined);
          if (!this.death.dead) this.thrownInside.set(hostError, error);
          throw hostError;
        });
      this.evaluations.set(module, done);
    }
    return done;
  }

  private async dynamicImport(specifier: string, referrer: string, attributes: Record<string, string> = {}): Promise<vm.Module> {
    try {
      if (this.death.dead) throw this.death.rejection;
      // Before the first await: the sandbox's import() call is still on the stack.
      const where = this.graph.dynamicSite(referrer, specifier);
      const resolution = await resolveSpecifier(specifier, referrer, this.resolver, where);
      this.graph.checkDynamicAttributes(resolution, specifier, referrer, attributes);
      return await this.run(resolution, `evaluation of ${specifier}`);
    } catch (error) {
      // import() must reject with a value of the sandbox's realm, never a host error: what the
      // evaluation threw, itself (the spec's [[EvaluationError]]), else a realm error made from ours.
      if (error instanceof Error && this.thrownInside.has(error)) throw this.thrownInside.get(error);
      throw this.membrane.errorToSandbox(error, importRejectionShape(error));
    }
  }

  /** CommonJS `require()` (link/commonjs.ts): a refusal is thrown in the sandbox as an import() refusal would be. */
  private require(referrer: string, specifier: string): unknown {
    try {
      if (this.death.dead) throw this.death.rejection;
      return this.graph.require(referrer, specifier);
    } catch (error) {
      return this.realm.kit.fail(this.membrane.errorToSandbox(error, importRejectionShape(error)));
    }
  }

  private namespaceOf(module: vm.Module): ModuleNamespace {
    return Object.freeze(this.membrane.toHost(module.namespace, '', 'strict') as ModuleNamespace);
  }

  private toHostError(value: unknown, info: ThrownInfo | undefined): Error {
    const original = this.membrane.hostErrorOf(value);
    if (original !== undefined) return original;
    let described = info;
    if (described === undefined && this.realm.alive) {
      try {
        described = this.realm.turn('describing an error', Job.Rethrow, value).info;
      } catch (error) {
        if (error instanceof TurnTimeout) return this.death.dead ? this.death.reason : error;
        throw error;
      }
    }
    const copy = this.membrane.toHost(value, 'thrown value', 'describe');
    return thrownToHost(described ?? ['Error', String(copy), '', '', ''], copy, (url) => this.graph.sourceOf(url));
  }

  private fireTimer(id: number): void {
    if (this.death.dead) return;
    const started = now();
    try {
      const outcome = this.realm.turn('a timer callback', Job.Timer, id);
      if (outcome.threw) this.reportUncaught(this.toHostError(outcome.value, outcome.info));
    } catch (error) {
      if (!(error instanceof TurnTimeout)) throw error;
    } finally {
      this.chargeBackground(started);
    }
  }

  /**
   * `timeout` bounds each turn and `deadline` each operation, but turns no operation waits for
   * (timer callbacks, up to TimerTable's 10 000 of them, and settlements of bridged host
   * promises) can each stay just under `timeout` and, together, keep the thread busy forever:
   * the host's own work in `context` isolation, every other sandbox on the thread in `worker`
   * isolation. So those turns share a budget: at most half of a window of max(1 s, 4 × timeout)
   * wall-clock ms. While an operation is in flight, its deadline bounds them instead.
   */
  private chargeBackground(started: number): void {
    if (this.death.dead || !Number.isFinite(this.options.timeout) || this.inflight.size > 0) return;
    const time = now();
    const window = Math.max(BACKGROUND_WINDOW_MS, 4 * this.options.timeout);
    if (time - this.backgroundStart > window) {
      this.backgroundStart = started;
      this.backgroundSpent = 0;
    }
    this.backgroundSpent += time - started;
    if (this.backgroundSpent > window * BACKGROUND_SHARE) {
      this.die(
        new TimeoutError(
          this.options.timeout,
          `background turns (timers, settled host promises), which together took ${Math.round(this.backgroundSpent)} ms of the last ${Math.round(time - this.backgroundStart)} ms`,
        ),
      );
    }
  }

  /**
   * A promise this sandbox handed to the host rejected, and the host's code never handled it. A
   * `DisposedError` tells nothing new (the owner disposed it, or its death was reported already).
   */
  private readonly unwatched = (reason: unknown): void => {
    if (reason instanceof DisposedError || this.death.isReason(reason)) return;
    this.reportUncaught(reason instanceof Error ? reason : new EsmSandboxError('ERR_SANDBOX_THROWN', String(reason)));
  };

  private onUnhandledRejection(reason: unknown): void {
    if (this.death.dead) return;
    const error = this.toHostError(reason, undefined);
    // Describing the reason ran past the timeout: die() has already reported that, once.
    if (this.death.dead) return;
    this.reportUncaught(error);
  }

  private reportUncaught(error: Error): void {
    if (this.options.onError) this.options.onError(error);
    else this.options.console?.('error', [`Uncaught ${error.stack ?? error.message}`]);
  }

  private onConsole(level: ConsoleLevel, args: unknown[]): void {
    const handler = this.options.console;
    // Like bridged calls: the rest of a turn that outlived its sandbox reaches no host callback.
    if (handler === undefined || this.death.dead) return;
    handler(level, this.membrane.toHost(args, 'console arguments', 'describe') as unknown[]);
  }

  /** @param error what killed it; undefined: disposed by its owner. */
  private die(error: EsmSandboxError | undefined): void {
    if (!this.death.die(error)) return;
    this.timers.clearAll();
    this.realm.kill();
    this.membrane.abandon(() => this.death.reason);
    const told = this.inflight.size > 0;
    for (const fail of [...this.inflight]) fail(this.death.reason);
    this.inflight.clear();
    // A timeout in a timer or settlement turn has no caller waiting: tell the owner now, not
    // only at the next operation (which rejects with a DisposedError naming this death).
    if (!told && error !== undefined && !(error instanceof DisposedError)) this.reportUncaught(error);
  }
}
