/**
 * `context` isolation: the sandbox's realm lives in this thread. Every operation (import,
 * evaluate, a call into the sandbox) runs under the deadline; every turn under the timeout.
 * Past either, the sandbox is dead: timers cleared, pending operations rejected.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type vm from 'node:vm';
import { DeadlineError, DisposedError, EsmSandboxError, ResolveError, TimeoutError } from '../errors/errors.js';
import { ModuleGraph } from '../link/graph.js';
import { Membrane } from '../membrane/membrane.js';
import { isInside, resolveSpecifier, type ResolverOptions } from '../resolve/resolver.js';
import { Job } from '../run/bootstrap.js';
import { Realm, TurnTimeout, type ThrownInfo } from '../run/realm.js';
import { routeRejections } from '../run/rejections.js';
import { thrownToHost } from '../run/thrown.js';
import { TimerTable } from '../run/timers.js';
import type { ConsoleLevel, EvaluateOptions, ModuleNamespace, Sandbox } from '../types.js';
import type { NormalizedOptions } from './options.js';

export class ContextSandbox implements Sandbox {
  readonly isolation = 'context' as const;
  readonly root: string;
  private readonly realm: Realm;
  private readonly membrane: Membrane;
  private readonly graph: ModuleGraph;
  private readonly timers: TimerTable;
  private readonly resolver: ResolverOptions;
  private readonly evaluations = new WeakMap<vm.Module, Promise<void>>();
  private readonly inflight = new Set<(error: Error) => void>();
  private death: EsmSandboxError | undefined;
  private evaluated = 0;

  constructor(private readonly options: NormalizedOptions) {
    this.root = options.root;
    this.resolver = { root: options.root, isAllowed: (s) => options.modules.has(s) };
    this.realm = new Realm({
      name: options.name,
      timeout: options.timeout,
      host: {
        call: (id, args) => this.membrane.call(id, args),
        timerSet: (id, ms, repeat) => this.timers.set(id, ms, repeat),
        timerClear: (id) => this.timers.clear(id),
        console: (level, args) => this.onConsole(level as ConsoleLevel, args),
        settled: (token, ok, value, info) => this.membrane.settled(token, ok, value, info),
      },
      onTimeout: (what) => this.die(new TimeoutError(options.timeout, what)),
    });
    this.membrane = new Membrane(this.realm, {
      toHostError: (value, info) => this.toHostError(value, info),
      operation: (what, work) => this.operation(what, work),
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
      onWarning: (d) => options.onWarning?.(d),
      dynamicImport: (specifier, referrer) => this.dynamicImport(specifier, referrer),
    });
    routeRejections(this.realm.objectPrototype, (reason) => this.onUnhandledRejection(reason));
  }

  get disposed(): boolean { return this.death !== undefined; }

  import<T extends ModuleNamespace = ModuleNamespace>(specifier: string): Promise<T> {
    return this.operation(`import("${specifier}")`, async () => {
      const resolution = await resolveSpecifier(specifier, this.options.rootUrl, this.resolver);
      const module = await this.graph.prepare(resolution);
      await this.evaluate_(module, `evaluation of ${specifier}`);
      return this.namespaceOf(module) as T;
    });
  }

  evaluate<T extends ModuleNamespace = ModuleNamespace>(source: string, options: EvaluateOptions = {}): Promise<T> {
    const filename = options.filename ?? `evaluate-${++this.evaluated}.mjs`;
    return this.operation(`evaluate(${filename})`, async () => {
      if (typeof source !== 'string') throw new TypeError('evaluate(source): source must be a string');
      const file = path.resolve(this.root, filename);
      if (!isInside(this.root, file)) throw new ResolveError(filename, undefined, `it is outside the sandbox root ${this.root}`);
      const url = pathToFileURL(file).href;
      const module = await this.graph.prepare({ kind: 'file', key: url, url, path: file }, source);
      await this.evaluate_(module, `evaluation of ${filename}`);
      return this.namespaceOf(module) as T;
    });
  }

  async dispose(): Promise<void> {
    this.die(new DisposedError('it was disposed by its owner'));
  }

  [Symbol.asyncDispose](): Promise<void> { return this.dispose(); }

  /** Bound host-initiated work by the deadline; a nested call (from inside a turn) is already bounded. */
  private operation<T>(what: string, work: () => Promise<T>): Promise<T> {
    if (this.death !== undefined) return Promise.reject(this.disposedError());
    if (this.realm.inTurn) return work();
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        if (timer !== undefined) clearTimeout(timer);
        this.inflight.delete(fail);
      };
      const fail = (error: Error) => { finish(); reject(error); };
      this.inflight.add(fail);
      if (Number.isFinite(this.options.deadline)) {
        timer = setTimeout(() => this.die(new DeadlineError(this.options.deadline, what)), this.options.deadline);
      }
      work().then((value) => { finish(); resolve(value); }, (error: unknown) => {
        finish();
        reject(error instanceof TurnTimeout ? this.death ?? error : error);
      });
    });
  }

  private evaluate_(module: vm.Module, what: string): Promise<void> {
    let done = this.evaluations.get(module);
    if (done === undefined) {
      done = this.realm.evaluate(module, what).catch((error: unknown) => {
        if (error instanceof TurnTimeout) throw error;
        throw this.toHostError(error, undefined);
      });
      this.evaluations.set(module, done);
    }
    return done;
  }

  private async dynamicImport(specifier: string, referrer: string): Promise<vm.Module> {
    try {
      if (this.death !== undefined) throw this.disposedError();
      const resolution = await resolveSpecifier(specifier, referrer, this.resolver);
      const module = await this.graph.prepare(resolution);
      await this.evaluate_(module, `evaluation of ${specifier}`);
      return module;
    } catch (error) {
      // import() must reject with a value of the sandbox's realm, never a host error.
      throw this.membrane.errorToSandbox(error);
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
        described = this.realm.turn(Job.Rethrow, value, undefined, undefined, 'describing an error').info;
      } catch (error) {
        if (error instanceof TurnTimeout) return this.death ?? error;
        throw error;
      }
    }
    const copy = this.membrane.toHost(value, 'thrown value', 'describe');
    return thrownToHost(described ?? ['Error', String(copy), '', '', ''], copy, (url) => this.graph.sourceOf(url));
  }

  private fireTimer(id: number): void {
    if (this.death !== undefined) return;
    try {
      const outcome = this.realm.turn(Job.Timer, id, undefined, undefined, 'a timer callback');
      if (outcome.threw) this.reportUncaught(this.toHostError(outcome.value, outcome.info));
    } catch (error) {
      if (!(error instanceof TurnTimeout)) throw error;
    }
  }

  private onUnhandledRejection(reason: unknown): void {
    if (this.death !== undefined) return;
    this.reportUncaught(this.toHostError(reason, undefined));
  }

  private reportUncaught(error: Error): void {
    if (this.options.onError) this.options.onError(error);
    else this.options.console?.('error', [`Uncaught ${error.stack ?? error.message}`]);
  }

  private onConsole(level: ConsoleLevel, args: unknown[]): void {
    const handler = this.options.console;
    if (handler === undefined) return;
    handler(level, this.membrane.toHost(args, 'console arguments', 'describe') as unknown[]);
  }

  private disposedError(): DisposedError {
    const death = this.death;
    if (death instanceof DisposedError) return death;
    return new DisposedError(death ? `it was stopped earlier: ${death.message}` : 'it is disposed');
  }

  private die(error: EsmSandboxError): void {
    if (this.death !== undefined) return;
    this.death = error;
    this.timers.clearAll();
    this.realm.kill();
    this.membrane.abandon(error);
    for (const fail of [...this.inflight]) fail(error);
    this.inflight.clear();
  }
}
