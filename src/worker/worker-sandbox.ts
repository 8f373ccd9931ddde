/**
 * `worker` and `process` isolation: the sandbox's realm lives in a worker thread started with
 * `--experimental-vm-modules` (so the host needs no flag), in this process (`worker`) or inside
 * a child process (`process`, src/process/). Sandboxes share recycled carriers of a lane (see
 * lane.ts); one with `memoryLimitMb` gets a carrier of its own with that heap cap.
 * The host keeps the allow-listed functions and answers the worker's synchronous calls to them.
 * If the carrier dies (out of memory, a crash, unresponsive past the deadline) pending operations
 * reject with a typed error and the sandbox reports itself disposed; the host process never goes down.
 */
import { isPromise, now } from '../commons.js';
import { DeadlineError, DisposedError, EsmSandboxError, MembraneError } from '../errors/errors.js';
import { boundedPromise } from '../membrane/bounded-promise.js';
import { supervise } from '../run/rejections.js';
import { Death } from '../sandbox/death.js';
import { toPortable, type NormalizedOptions } from '../sandbox/options.js';
import type { ModuleNamespace, Sandbox, SandboxOptions } from '../types.js';
import { decode, decodeError, encode, encodeError, functionIdentity } from './protocol.js';
import type { FunctionFactory, FunctionRegistry, Message, Request, Settlement, SyncCall, SyncReply } from './protocol.js';
import { ChildProcessCarrier } from '../process/child.js';
import type { Carrier, Tenant } from './carrier.js';
import { RequestWatch, type Watched } from './request-watch.js';
import { ThreadLane, startThread, type StartCarrier } from './lane.js';
import type { TenantInit } from './worker-main.js';
import type { PluginLoad, PluginLoaded } from '../plugins/load-plugin.js';

type AnyFunction = (...args: unknown[]) => unknown;
type Waiter = { resolve(value: unknown): void; reject(reason: unknown): void };
type PendingRequest = Waiter & Watched & { namespace: boolean };
type RequestBody = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never;

/** Extra wall-clock the host grants past the worker's own deadline before it stops the thread. */
const DEADLINE_GRACE_MS = 1_000;
/** A plugin request is up to four operations in the worker, each with a deadline of its own (load-plugin.ts). */
const PLUGIN_OPERATIONS = 4;

const startChild: StartCarrier = (memoryLimitMb, warmUp) => new ChildProcessCarrier(memoryLimitMb, { warmUp });
/** Where `createSandbox` puts sandboxes that have no memory limit; the process lane starts at first use. */
const defaultLanes = { worker: new ThreadLane(), process: undefined as ThreadLane | undefined };
const processLane = (): ThreadLane => (defaultLanes.process ??= new ThreadLane({}, undefined, startChild));

let requestsSent = 0;

/** Requests sandboxes of this thread have sent to their carriers (a test observes the round trips a reload costs, as with parseCount). */
export function workerRequests(): number {
  return requestsSent;
}

export type CarrierIsolation = 'worker' | 'process';
/** How sandboxes of an isolation get carriers: a lane's, or (with a memory limit) one of their own. */
export const startCarrier = (isolation: CarrierIsolation): StartCarrier => (isolation === 'process' ? startChild : startThread);

export class WorkerSandbox implements Sandbox, Tenant {
  readonly isolation: CarrierIsolation;
  readonly root: string;
  private readonly thread: Carrier;
  private readonly id: number;
  private readonly functions = new Map<number, AnyFunction>();
  private nextFunction = 1;
  private nextRequest = 1;
  private nextPromise = 1;
  private readonly pending = new Map<number, PendingRequest>();
  /** Steps in only if the whole thread stops answering (request-watch.ts). */
  private readonly watch = new RequestWatch(this.pending, (request) => this.unresponsive(request.limit, request.what));
  /** Sandbox promises the host holds (they crossed as markers), by the worker's id. */
  private readonly promises = new Map<number, Waiter>();
  private readonly death = new Death();
  private readonly ends: Array<() => void> = [];

  /**
   * @param thread where to live; by default the shared lane's, or a carrier of its own for `memoryLimitMb`.
   * `options.isolation` says which kind: `process`, or else `worker`.
   * @param rootFresh `normalized` looked the root up on disk just now, so the worker need not again
   * (a pool's task reuses an older normalisation: its worker looks the root up for each sandbox).
   */
  constructor(
    private readonly options: SandboxOptions,
    private readonly normalized: NormalizedOptions,
    thread?: Carrier,
    rootFresh = true,
  ) {
    this.root = normalized.root;
    this.isolation = options.isolation === 'process' ? 'process' : 'worker';
    const own = thread === undefined && normalized.memoryLimitMb !== undefined;
    const lane = () => (this.isolation === 'process' ? processLane() : defaultLanes.worker);
    this.thread = thread ?? (own ? startCarrier(this.isolation)(normalized.memoryLimitMb, false) : lane().acquire());
    const init: TenantInit = {
      options: toPortable(normalized, options.policy),
      hasConsole: options.console !== undefined,
      hasOnWarning: options.onWarning !== undefined,
      rootChecked: rootFresh,
      modules:
        normalized.modules.size === 0 ? {} : (encode(Object.fromEntries(normalized.modules), this.register) as Record<string, unknown>),
    };
    this.id = this.thread.attach(this, init);
    // A thread with a heap cap serves this sandbox alone and ends with it.
    if (own) this.thread.retire();
  }

  get disposed(): boolean {
    return this.death.dead;
  }

  import<T extends ModuleNamespace = ModuleNamespace>(specifier: string): Promise<T> {
    return this.request({ op: 'import', specifier }, `import("${specifier}")`) as Promise<T>;
  }

  evaluate<T extends ModuleNamespace = ModuleNamespace>(source: string, options: { filename?: string } = {}): Promise<T> {
    return this.request({ op: 'evaluate', source, filename: options.filename }, 'evaluate()') as Promise<T>;
  }

  files(): Promise<string[]> {
    return this.request({ op: 'files' }, 'files()') as Promise<string[]>;
  }

  /** plugins/load-plugin.ts run in the worker: one round trip where its steps would take four. */
  async loadPlugin(load: PluginLoad): Promise<PluginLoaded> {
    const outcome = (await this.request(
      { op: 'plugin', load: encode(load, this.register) },
      `preparing plugin "${load.id}"`,
    )) as PluginLoaded;
    if (outcome.ok) Object.freeze(outcome.namespace);
    return outcome;
  }

  async dispose(): Promise<void> {
    this.die(undefined);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  /** Called once when the sandbox ends, however it ends (used by pools to count busy threads). */
  onEnd(callback: () => void): void {
    if (this.death.dead) callback();
    else this.ends.push(callback);
  }

  // ---- Tenant: what the thread routes here ------------------------------------------------

  receive(message: Message): void {
    switch (message.kind) {
      case 'reply': {
        const waiter = this.pending.get(message.id);
        if (waiter === undefined) return;
        this.settle(message.id);
        if (message.ok) {
          const value = decode(message.value, this.sandboxFunction);
          waiter.resolve(waiter.namespace ? freezeTop(value) : value);
        } else {
          const error = decodeError(message.error);
          waiter.reject(error);
          // The worker's sandbox is dead after these: so is this one.
          if (isFatal(error)) this.die(error as EsmSandboxError);
        }
        return;
      }
      // Encoded like any value (errors travel as markers). Nothing after death: the worker may
      // still be finishing a turn when the host has already let the sandbox go.
      case 'console':
        if (!this.death.dead) this.options.console?.(message.level as never, decode(message.args, this.sandboxFunction) as unknown[]);
        return;
      case 'error': {
        if (this.death.dead) return;
        const error = decodeError(message.error);
        // Died outside any request (a timer turn ran past `timeout`): dead here too, before the
        // owner hears of it (a throwing onError must not leave it half alive).
        if (isFatal(error)) this.die(error as EsmSandboxError);
        if (this.options.onError) this.options.onError(error);
        else this.options.console?.('error', [`Uncaught ${error.stack ?? error.message}`]);
        return;
      }
      case 'warning':
        if (!this.death.dead) this.options.onWarning?.(message.diagnostic as never);
        return;
      case 'settle': {
        const waiter = this.promises.get(message.promise);
        if (waiter === undefined) return;
        this.promises.delete(message.promise);
        this.thread.release();
        if (message.ok) {
          waiter.resolve(decode(message.value, this.sandboxFunction));
          return;
        }
        const error = message.error ? decodeError(message.error) : new Error('rejected');
        waiter.reject(error);
        // A promise that settled with the sandbox's death (a thenable's `then` ran past the timeout).
        if (isFatal(error)) this.die(error as EsmSandboxError);
        return;
      }
      case 'ready':
      case 'warmed':
        return;
    }
  }

  /** A synchronous call from the worker to a host function. */
  answer(call: SyncCall): SyncReply {
    try {
      // Both are thrown into the sandbox, where the membrane rebuilds them as errors of its realm
      // (as context isolation makes them); uncaught, they come back out as themselves.
      if (this.death.dead) throw new DisposedError('a host function was called after dispose');
      const fn = this.functions.get(call.fn);
      if (fn === undefined) throw new MembraneError('it is no longer available', 'a host function');
      const result = fn(...(decode(call.args, this.sandboxFunction) as unknown[]));
      if (!isPromise(result)) return { ok: true, value: encode(result, this.register) };
      return { ok: true, promise: this.registerOwn(result as Promise<unknown>) };
    } catch (error) {
      return { ok: false, error: encodeError(error, this.register) };
    }
  }

  lost(error: EsmSandboxError): void {
    const waited = this.pending.size > 0 || this.promises.size > 0;
    this.die(error);
    // Nobody was waiting to hear of it (a co-tenant ran the thread out of memory): tell the owner
    // now, as context isolation does, not only at the next call.
    if (waited || error instanceof DisposedError) return;
    if (this.options.onError) this.options.onError(error);
    else this.options.console?.('error', [`Uncaught ${error.stack ?? error.message}`]);
  }

  // ---- the wire ----------------------------------------------------------------------------

  private readonly registerOwn: FunctionRegistry = (value) => {
    if (typeof value === 'function') {
      const id = this.nextFunction++;
      this.functions.set(id, value);
      return id;
    }
    // A host promise handed to the sandbox: the worker waits for its settlement under this id.
    const promise = this.nextPromise++;
    value.then(
      (result) => this.post({ kind: 'settle', promise, ok: true, value: encode(result, this.register) }),
      (error: unknown) => this.post({ kind: 'settle', promise, ok: false, value: undefined, error: encodeError(error, this.register) }),
    );
    return promise;
  };

  private readonly sandboxStandIn: FunctionFactory = (id, kind) => {
    if (kind === 'promise') {
      // A sandbox promise: it settles when the worker says so, or rejects `deadline` ms after the
      // host first awaits it (as in context isolation); the thread stays alive until then.
      const copy = boundedPromise<unknown>(this.normalized.deadline, 'a promise of the sandbox', () => {
        if (this.promises.delete(id)) this.thread.release();
      });
      this.promises.set(id, copy);
      this.thread.hold();
      return supervise(copy.promise, this.unwatched);
    }
    if (kind === 'then') {
      // The sandbox's `then` adopter, called with no resolvers, answers with the settlement.
      return (onFulfilled?: unknown, onRejected?: unknown) =>
        supervise(
          this.send({ op: 'call', fn: id, args: [] }, 'a thenable of the sandbox').then(
            typeof onFulfilled === 'function' ? (onFulfilled as (value: unknown) => unknown) : undefined,
            typeof onRejected === 'function' ? (onRejected as (reason: unknown) => unknown) : undefined,
          ),
          this.unwatched,
        );
    }
    return (...args: unknown[]) =>
      this.thread.waitingOnHost
        ? this.callNow(id, args)
        : this.request({ op: 'call', fn: id, args: encode(args, this.register) }, 'a call');
  };

  /**
   * A host function, called by the worker, calls a sandbox function: the worker is blocked in that
   * call, so it is served inside the worker's wait and settled before it returns, as context
   * isolation runs it inside the host function (carrier.ts, `callNow`). The worker's own turn
   * bounds it by `timeout`; past that and a grace the thread is taken as stuck and stopped.
   */
  private callNow(id: number, args: unknown[]): Promise<unknown> {
    if (this.death.dead) return this.request({ op: 'call', fn: id, args: [] }, 'a call');
    const what = 'a call of a sandbox function from inside a host function';
    const limit = Math.min(this.normalized.timeout, this.normalized.deadline) + DEADLINE_GRACE_MS;
    const reply = this.thread.callNow(this.id, id, encode(args, this.register), limit);
    if (reply === undefined) {
      this.unresponsive(limit, what);
      return supervise(Promise.reject(this.death.reason), this.unwatched);
    }
    if (reply.ok) {
      const value = 'promise' in reply ? this.sandboxFunction(reply.promise, 'promise') : decode(reply.value, this.sandboxFunction);
      return supervise(Promise.resolve(value), this.unwatched);
    }
    const error = decodeError(reply.error);
    if (isFatal(error)) this.die(error as EsmSandboxError);
    return supervise(Promise.reject(error), this.unwatched);
  }

  /** One identity per function across the wire (a function that goes out and comes back is itself again). */
  private readonly identity = functionIdentity(this.registerOwn, this.sandboxStandIn);
  private readonly register = this.identity.register;
  private readonly sandboxFunction = this.identity.make;

  private post(message: Settlement): void {
    if (this.death.dead) return;
    try {
      this.thread.post(this.id, message);
    } catch (error) {
      // A settlement structured clone refuses (a host promise resolved to a Symbol): the sandbox's
      // promise rejects with why, rather than the host's `.then` throwing unhandled.
      this.thread.post(this.id, { kind: 'settle', promise: message.promise, ok: false, value: undefined, error: encodeError(error) });
    }
  }

  /** See ContextSandbox.unwatched: the same rule for the promises this side hands out. */
  private readonly unwatched = (reason: unknown): void => {
    if (reason instanceof DisposedError || this.death.isReason(reason)) return;
    const error = reason instanceof Error ? reason : new EsmSandboxError('ERR_SANDBOX_THROWN', String(reason));
    if (this.options.onError) this.options.onError(error);
    else this.options.console?.('error', [`Uncaught ${error.stack ?? error.message}`]);
  };

  /** Every request's promise is supervised: a rejection nobody handles goes to `onError` (run/rejections.ts). */
  private request(body: RequestBody, what: string): Promise<unknown> {
    return supervise(this.send(body, what), this.unwatched);
  }

  private send(body: RequestBody, what: string): Promise<unknown> {
    if (this.death.dead) return Promise.reject(this.death.rejection);
    const id = this.nextRequest++;
    requestsSent++;
    return new Promise((resolve, reject) => {
      // Sent first: the bookkeeping below overlaps the worker's work, and a request structured
      // clone refuses (it throws, which rejects this promise) leaves none behind.
      this.thread.post(this.id, { ...body, id } as Request);
      const limit = this.normalized.deadline * (body.op === 'plugin' ? PLUGIN_OPERATIONS : 1);
      // The worker keeps the deadline itself; the host steps in only if the whole thread stops answering.
      const due = now() + limit + DEADLINE_GRACE_MS;
      this.pending.set(id, { resolve, reject, due, limit, what, namespace: body.op === 'import' || body.op === 'evaluate' });
      this.watch.sent(due);
      this.thread.hold();
    });
  }

  private unresponsive(limit: number, what: string): void {
    this.die(new DeadlineError(limit, what));
    const where = this.isolation === 'process' ? 'child process' : 'worker thread';
    this.thread.terminate(new DisposedError(`its ${where} was stopped: another sandbox in it stopped responding`));
  }

  private settle(id: number): void {
    const waiter = this.pending.get(id);
    if (waiter === undefined) return;
    this.pending.delete(id);
    this.thread.release();
  }

  /** @param error what killed it; undefined: disposed by its owner. */
  private die(error: EsmSandboxError | undefined): void {
    if (!this.death.die(error)) return;
    this.watch.stop();
    for (const [id, waiter] of [...this.pending]) {
      this.settle(id);
      waiter.reject(this.death.reason);
    }
    for (const waiter of this.promises.values()) {
      this.thread.release();
      waiter.reject(this.death.reason);
    }
    this.promises.clear();
    // The worker drops the tenant (its tables, its sandbox), unless it never built it; the thread may end with it.
    this.thread.detach(this.id, { op: 'dispose', id: this.nextRequest++ } satisfies Request);
    for (const end of this.ends.splice(0)) end();
  }
}

/** After these the worker's sandbox is dead. */
const isFatal = (error: Error): boolean => {
  const { code, disposed } = error as { code?: string; disposed?: boolean };
  // A sandbox promise awaited past the deadline fails alone (DeadlineError with `disposed` false).
  if (code === 'ERR_SANDBOX_DEADLINE') return disposed !== false;
  return code === 'ERR_SANDBOX_TIMEOUT' || code === 'ERR_SANDBOX_MEMORY';
};

function freezeTop(value: unknown): unknown {
  return value !== null && typeof value === 'object' ? Object.freeze(value) : value;
}
