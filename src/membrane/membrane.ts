/**
 * The membrane: the one choke point every value crossing the boundary goes through.
 *
 * Host → sandbox: data is rebuilt by the sandbox's kit; host functions become bridges that
 * hold only an id; host errors and promises are rebuilt. Sandbox → host: data is copied from
 * own data properties (no sandbox code runs); sandbox functions become async host callables
 * whose every call is a turn; sandbox promises are observed inside a turn. Values that went
 * out and come back are unwrapped to the original, so identity survives a round trip.
 */
import { ReflectApply, ReflectGetOwnPropertyDescriptor, isNativeError, isPromise, now } from '../commons.js';
import { MembraneError } from '../errors/errors.js';
import { Job } from '../realm-protocol.js';
import type { Kit } from '../run/kit.js';
import type { Realm, ThrownInfo, TurnOutcome } from '../run/realm.js';
import { supervise } from '../run/rejections.js';
import { boundedPromise, observeQuietly } from './bounded-promise.js';
import { CopyOut, type CopyOutHooks, type CopyLimits, type CopyOutMode } from './from-sandbox.js';
import { CopyIn, type RealmErrorShape } from './to-sandbox.js';

type AnyFunction = (...args: unknown[]) => unknown;

export interface MembraneOwner {
  /** A sandbox throw (or rejection) as a host error with the user's location. */
  toHostError(value: unknown, info: ThrownInfo | undefined): Error;
  /** Runs host-initiated sandbox work as a bounded operation (deadline, timeout → typed errors). */
  operation<T>(what: string, work: () => Promise<T>): Promise<T>;
  /**
   * Runs host-initiated work that finishes within its turn (a call into the sandbox), bounded by
   * the turn's `timeout`; throws the typed errors (a dead sandbox's, a `TurnTimeout` as its death).
   */
  operationNow<T>(work: () => T): T;
  /** A turn that settled a bridged host promise ended (it began at `started`, now()). */
  settleTurnEnded?(started: number): void;
  /** Wall-clock ms a host `await` of a sandbox promise may wait (the sandbox's `deadline`). */
  readonly deadline: number;
  /** A promise handed to the host rejected and the host's code never handled it (see run/rejections.ts). */
  unwatched(reason: unknown): void;
}

/** What a call of a sandbox function came to, on the host: a copy of its return value, or the host error for its throw. */
export type CallOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Host wrappers of sandbox functions → their synchronous form (see callNow). */
const immediateForms = new WeakMap<object, (args: unknown[]) => CallOutcome>();

/**
 * Call a host wrapper of a sandbox function now and return its outcome, where the caller cannot
 * wait for a promise: a worker serving the host's call of a sandbox callback while the sandbox's
 * own turn waits, blocked, for that host function (worker/worker-main.ts). `undefined` when `fn`
 * is not such a wrapper.
 */
export function callNow(fn: unknown, args: unknown[]): CallOutcome | undefined {
  const form = typeof fn === 'function' ? immediateForms.get(fn) : undefined;
  return form === undefined ? undefined : form(args);
}

export const DEFAULT_LIMITS: CopyLimits = { maxDepth: 200, maxNodes: 1_000_000 };

export class Membrane {
  private readonly kit: Kit;
  private readonly bridges = new Map<number, { fn: AnyFunction; receiver: unknown }>();
  private nextBridge = 1;
  /** Host function (and receiver) → its sandbox bridge: the same function crosses as the same bridge. */
  private readonly bridgeOf = new CrossedFunctions();
  private readonly hostFunctionOf = new WeakMap<object, AnyFunction>();
  private readonly callNames = new WeakMap<AnyFunction, string>();
  /** Sandbox function (and receiver) → its host wrapper. */
  private readonly wrapperOf = new CrossedFunctions();
  private readonly sandboxFunctionOf = new WeakMap<object, unknown>();
  /** Sandbox errors made from host errors, so the host gets its own error back if it comes out again. */
  private readonly hostErrors = new WeakMap<object, Error>();
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(reason: unknown): void }>();
  private nextToken = 1;
  private readonly collected = new FinalizationRegistry<number>((id) => this.bridges.delete(id));

  constructor(
    private readonly realm: Realm,
    private readonly owner: MembraneOwner,
    private readonly limits: CopyLimits = DEFAULT_LIMITS,
  ) {
    this.kit = realm.kit;
    this.copyOutHooks = { ...this.copyOutFaces, objectPrototype: realm.objectPrototype };
  }

  /** Host value → sandbox value. */
  toSandbox(value: unknown, path = ''): unknown {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
      if (typeof value === 'bigint') this.copyInHooks.bigint(path);
      return value;
    }
    return new CopyIn(this.kit, this.copyInHooks, this.limits).copy(value, path);
  }

  /** Sandbox value → host value. Never runs sandbox code; throws `MembraneError` for what cannot cross. */
  toHost(value: unknown, path = '', mode: CopyOutMode = 'strict'): unknown {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return value;
    return new CopyOut(this.copyOutHooks, this.limits, mode).copy(value, path);
  }

  /**
   * A host error (or thrown value) as something the sandbox may catch.
   * @param as the realm constructor to build an error with and its name there, when not the error's own
   */
  errorToSandbox(error: unknown, as?: RealmErrorShape): unknown {
    if (isNativeError(error)) {
      const made = new CopyIn(this.kit, this.copyInHooks, this.limits).error(error as Error, as);
      this.hostErrors.set(made, error as Error);
      return made;
    }
    try {
      return this.toSandbox(error, 'thrown value');
    } catch {
      return this.kit.error('Error', 'A host function threw a value that cannot cross the sandbox boundary');
    }
  }

  /** The host error a sandbox error was made from, if it was. */
  hostErrorOf(value: unknown): Error | undefined {
    return value !== null && typeof value === 'object' ? this.hostErrors.get(value) : undefined;
  }

  /** The sandbox called a bridged host function (inside a turn). Returns a sandbox value or the kit's FAIL mark. */
  call(bridgeId: number, args: unknown[]): unknown {
    const entry = this.bridges.get(bridgeId);
    if (entry === undefined) return this.kit.fail(this.kit.error('Error', 'This host function is no longer available'));
    let hostArgs: unknown[];
    try {
      hostArgs = this.argsToHost(args);
    } catch (error) {
      return this.kit.fail(this.errorToSandbox(error));
    }
    let result: unknown;
    try {
      result = ReflectApply(entry.fn, entry.receiver, hostArgs);
    } catch (error) {
      return this.kit.fail(this.errorToSandbox(error));
    }
    try {
      return this.toSandbox(result, 'return value');
    } catch (error) {
      return this.kit.fail(this.errorToSandbox(error));
    }
  }

  /** A sandbox promise the host observes has settled (called from inside a turn). */
  settled(token: number, ok: boolean, value: unknown, info: ThrownInfo | undefined): void {
    const waiter = this.pending.get(token);
    if (waiter === undefined) return;
    this.pending.delete(token);
    if (!ok) return waiter.reject(this.owner.toHostError(value, info));
    try {
      waiter.resolve(this.toHost(value, 'resolved value'));
    } catch (error) {
      waiter.reject(error);
    }
  }

  /** Host-side outcome of a turn: a copy of what it returned, or the host error for what it threw. */
  settle(outcome: TurnOutcome, what: string): Promise<unknown> {
    if (outcome.threw) return Promise.reject(this.owner.toHostError(outcome.value, outcome.info));
    return Promise.resolve(this.toHost(outcome.value, what));
  }

  /** Reject every host promise still waiting on the sandbox (it was disposed). */
  /** @param reason made only if a waiter is left (see ContextSandbox.death). */
  abandon(reason: () => unknown): void {
    for (const waiter of this.pending.values()) waiter.reject(reason());
    this.pending.clear();
  }

  private argsToHost(args: unknown[]): unknown[] {
    // Own data properties of the sandbox's rest-parameter array: reading them runs no user code.
    const length = args.length;
    const out = new Array<unknown>(length);
    let simple = true;
    for (let i = 0; i < length; i++) {
      const item = args[i];
      out[i] = item;
      if (item !== null && (typeof item === 'object' || typeof item === 'function')) simple = false;
    }
    return simple ? out : (this.toHost(args, 'arguments') as unknown[]);
  }

  /** Arguments of a host call into the sandbox: primitives only (the common case) are one kit call. */
  private argsToSandbox(args: unknown[]): unknown[] {
    for (let i = 0; i < args.length; i++) {
      const item = args[i];
      if (item !== null && (typeof item === 'object' || typeof item === 'function' || typeof item === 'bigint')) {
        return this.toSandbox(args, 'arguments') as unknown[];
      }
    }
    return this.kit.arrayOf(args);
  }

  /** "a call of name()", once per function: a host call into the sandbox is a few µs, and this is on its path. */
  private callName(fn: AnyFunction): string {
    let what = this.callNames.get(fn);
    if (what === undefined) this.callNames.set(fn, (what = `a call of ${functionName(fn)}()`));
    return what;
  }

  /**
   * A call that returns (or throws) anything but a promise is over when its turn returns, so the
   * turn's `timeout` bounds it and no deadline timer is armed: a timer per call was a third of a
   * metered call's cost. One that returns a promise lasts until it settles, under `deadline`,
   * like every operation.
   */
  private callSandbox(fn: AnyFunction, receiver: unknown, args: unknown[]): Promise<unknown> {
    const what = this.callName(fn);
    let outcome: TurnOutcome;
    try {
      outcome = this.owner.operationNow(() => this.realm.turn(what, Job.Call, fn, receiver, this.argsToSandbox(args)));
    } catch (error) {
      return supervise(Promise.reject(error), this.owner.unwatched);
    }
    if (!outcome.threw && isPromise(outcome.value)) return this.owner.operation(what, () => this.settle(outcome, 'return value'));
    let result: Promise<unknown>;
    try {
      if (outcome.threw) {
        result = this.settle(outcome, 'return value');
      } else {
        const value = this.toHost(outcome.value, 'return value');
        // A promise resolved with a primitive never rejects: nothing to route, so no WeakMap
        // entry per call (a tenth of a metered call's cost). Any object may be a thenable's face.
        if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return Promise.resolve(value);
        result = Promise.resolve(value);
      }
    } catch (error) {
      // What cannot cross (too deep, too large) rejects the call.
      result = Promise.reject(error);
    }
    return supervise(result, this.owner.unwatched);
  }

  private callSandboxNow(fn: AnyFunction, receiver: unknown, args: unknown[]): CallOutcome {
    const what = this.callName(fn);
    try {
      const outcome = this.owner.operationNow(() => this.realm.turn(what, Job.Call, fn, receiver, this.argsToSandbox(args)));
      if (outcome.threw) return { ok: false, error: this.owner.toHostError(outcome.value, outcome.info) };
      return { ok: true, value: this.toHost(outcome.value, 'return value') };
    } catch (error) {
      return { ok: false, error };
    }
  }

  private observe(promise: object): Promise<unknown> {
    const token = this.nextToken++;
    const copy = boundedPromise<unknown>(this.owner.deadline, 'a promise of the sandbox', () => this.pending.delete(token));
    this.pending.set(token, copy);
    this.realm.turn('a turn', Job.Observe, promise, token);
    return supervise(copy.promise, this.owner.unwatched);
  }

  /**
   * The host face of a sandbox thenable's `then`. A host `await` of the copy (or of an import's
   * namespace with a `then` export, or a call's thenable result) calls it with the host's own
   * resolvers. Those never reach the sandbox: the sandbox's `then` runs as a bounded call with
   * resolvers of the membrane's, and the first settlement wins. A `then` that throws rejects;
   * one that loops ends in `TimeoutError`; one that never calls back rejects with
   * `DeadlineError` after `deadline` ms; `dispose()` rejects it with `DisposedError`.
   */
  private adopter(fn: AnyFunction, receiver: unknown): AnyFunction {
    const then = (onFulfilled?: unknown, onRejected?: unknown): Promise<unknown> => {
      const token = this.nextToken++;
      const adopted = boundedPromise<unknown>(this.owner.deadline, 'a thenable of the sandbox', () => this.pending.delete(token));
      const settle =
        (ok: boolean) =>
        (value: unknown): void => {
          this.pending.delete(token);
          if (ok) adopted.resolve(value);
          else adopted.reject(value);
        };
      this.pending.set(token, adopted);
      // Handled here: a failure of the call is the adopted promise's rejection, not an orphan.
      observeQuietly(this.callSandbox(fn, receiver, [settle(true), settle(false)]), () => undefined, settle(false));
      return supervise(
        // eslint-disable-next-line no-restricted-syntax -- the membrane's own bounded promise: its `then` starts the deadline on purpose
        adopted.promise.then(
          typeof onFulfilled === 'function' ? (onFulfilled as AnyFunction) : undefined,
          typeof onRejected === 'function' ? (onRejected as AnyFunction) : undefined,
        ),
        this.owner.unwatched,
      );
    };
    return then;
  }

  private readonly copyOutHooks: CopyOutHooks;
  private readonly copyOutFaces = {
    wrapFunction: (fn: AnyFunction, receiver: unknown): unknown => {
      const host = this.hostFunctionOf.get(fn);
      if (host !== undefined) return host;
      const known = this.wrapperOf.get(fn, receiver);
      if (known !== undefined) return known;
      const wrapper = (...args: unknown[]) => this.callSandbox(fn, receiver, args);
      immediateForms.set(wrapper, (args) => this.callSandboxNow(fn, receiver, args));
      Object.defineProperty(wrapper, 'name', { value: functionName(fn) });
      this.wrapperOf.set(fn, receiver, wrapper);
      this.sandboxFunctionOf.set(wrapper, fn);
      return wrapper;
    },
    wrapPromise: (promise: object): unknown => this.observe(promise),
    wrapThen: (fn: AnyFunction, receiver: unknown): unknown => this.adopter(fn, receiver),
    isHostFunction: (fn: object): boolean => this.hostFunctionOf.has(fn),
  };

  private readonly copyInHooks = {
    bigint: (path: string): void => {
      if (!this.realm.enableBigInt())
        throw new MembraneError('a BigInt cannot enter a turn that runs without a watchdog (it can from the next turn on)', path);
    },
    bridgeFunction: (fn: AnyFunction, receiver: unknown): unknown => {
      const known = this.bridgeOf.get(fn, receiver);
      if (known !== undefined) return known;
      const id = this.nextBridge++;
      this.bridges.set(id, { fn, receiver });
      const name = typeof fn.name === 'string' ? fn.name : '';
      const bridge = this.kit.bridge(id, name, typeof fn.length === 'number' ? fn.length : 0);
      this.bridgeOf.set(fn, receiver, bridge);
      this.hostFunctionOf.set(bridge, fn);
      this.collected.register(bridge, id);
      return bridge;
    },
    bridgePromise: (promise: Promise<unknown>): unknown => {
      const deferred = this.kit.deferred();
      const settleInTurn = (ok: boolean, value: unknown) => {
        if (!this.realm.alive) return;
        let outcome = ok;
        let inside: unknown;
        try {
          inside = ok ? this.toSandbox(value, 'resolved value') : this.errorToSandbox(value);
        } catch (error) {
          // A value that cannot cross (too deep, too large) rejects the sandbox's promise instead of
          // leaving it pending until the deadline.
          outcome = false;
          inside = this.errorToSandbox(error);
        }
        const started = now();
        try {
          this.realm.turn('a turn', Job.Settle, deferred, outcome, inside);
        } catch {
          // The realm died in that turn (timeout): its owner has already been told.
        }
        this.owner.settleTurnEnded?.(started);
      };
      // eslint-disable-next-line no-restricted-syntax -- a host promise crossing in, not a sandbox one
      promise.then(
        (value) => settleInTurn(true, value),
        (reason) => settleInTurn(false, reason),
      );
      return deferred.promise;
    },
    unwrap: (value: object): { found: true; value: unknown } | { found: false } => {
      const original = this.sandboxFunctionOf.get(value);
      return original === undefined ? { found: false } : { found: true, value: original };
    },
  };
}

/**
 * The faces (bridges or wrappers) of functions that crossed, so a function keeps one identity on
 * the other side: one face per (function, receiver) pair, the receiver being the object a method
 * was read from. A function crossing bare (an argument, a return value) reuses a face it already
 * has, so what went out and comes back, or crosses twice, is the same function there.
 */
class CrossedFunctions {
  private readonly bare = new WeakMap<object, AnyFunction>();
  private readonly bound = new WeakMap<object, WeakMap<object, AnyFunction>>();
  private readonly any = new WeakMap<object, AnyFunction>();

  get(fn: object, receiver: unknown): AnyFunction | undefined {
    if (!isObjectLike(receiver)) return this.bare.get(fn) ?? this.any.get(fn);
    return this.bound.get(fn)?.get(receiver);
  }

  set(fn: object, receiver: unknown, face: AnyFunction): void {
    if (!this.any.has(fn)) this.any.set(fn, face);
    if (!isObjectLike(receiver)) {
      this.bare.set(fn, face);
      return;
    }
    let byReceiver = this.bound.get(fn);
    if (byReceiver === undefined) this.bound.set(fn, (byReceiver = new WeakMap()));
    byReceiver.set(receiver, face);
  }
}

const isObjectLike = (value: unknown): value is object => value !== null && (typeof value === 'object' || typeof value === 'function');

function functionName(fn: object): string {
  const desc = ReflectGetOwnPropertyDescriptor(fn, 'name');
  return desc !== undefined && typeof desc.value === 'string' && desc.value !== '' ? desc.value : 'anonymous';
}
