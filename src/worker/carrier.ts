/**
 * What a worker sandbox needs of whatever hosts its worker: a worker thread in this process
 * (thread.ts) or a worker thread inside a child process (src/process/child.ts). Both speak the
 * same envelopes to the same worker side (worker-main.ts), so one `WorkerSandbox` serves both
 * isolations and the lane recycles either.
 */
import type { EsmSandboxError } from '../errors/errors.js';
import type { Message, SyncCall, SyncReply } from './protocol.js';

/**
 * host → worker: a message for one sandbox. The sandbox's first message also carries `init`, what
 * the worker builds it from: creating a sandbox costs no message of its own, and one never used
 * costs its worker nothing.
 */
export interface Inbound {
  sandbox: number;
  body: unknown;
  init?: unknown;
}
/** worker → host: a message from one sandbox (`sandbox` 0: the thread's own, e.g. `ready`). */
export interface Outbound {
  sandbox: number;
  body: Message;
  heapMb?: number;
}
/**
 * worker → host on the call port. `seq` numbers the worker's calls: a call the watchdog cut off
 * (its turn timed out while the host was still answering) gets its answer late, and that answer
 * must not be taken for the next call's, which may be another sandbox's.
 */
export interface InboundCall {
  sandbox: number;
  seq: number;
  call: SyncCall;
}
/** host → worker on the call port: the answer to call `seq`. */
export interface CallAnswer {
  seq: number;
  reply: SyncReply;
}
/**
 * host → worker on the call port, only while the worker waits for the host's answer to one of its
 * calls: call the worker's function `fn` of `sandbox` now (a host function calling a sandbox
 * callback). The worker serves it inside its wait and answers with a `NestedAnswer`.
 */
export interface NestedCall {
  nested: { sandbox: number; seq: number; fn: number; args: unknown };
}
/**
 * worker → host on the call port, while the host waits: the outcome of nested call `seq`; or
 * `abandoned`, the worker's turn was cut off (its timeout) under the nested calls it was serving,
 * so none of them will be answered and the worker no longer waits for the host.
 */
export type NestedAnswer = { seq: number; nestedReply: SyncReply } | { abandoned: true };
/** The second slot of a carrier's shared flag: the worker wakes the host with it (see NestedCall). */
export const HOST_WAKE = 1;

/** What a carrier needs of a sandbox it hosts. */
export interface Tenant {
  receive(message: Message): void;
  answer(call: SyncCall): SyncReply;
  /** The carrier is gone (out of memory, crashed, terminated): fail everything pending. */
  lost(error: EsmSandboxError): void;
}

export interface Carrier {
  /** Live tenants. */
  readonly size: number;
  readonly alive: boolean;
  /** Alive and not retired: takes new tenants. */
  readonly accepting: boolean;
  /** Contexts ever created in it (they are never freed before it ends). */
  readonly created: number;
  /** The worker's used heap, in MB, as it last reported. */
  readonly heapMb: number;
  /** Loaded and able to serve at once. */
  readonly ready: boolean;
  /** Sandboxes of its own its worker warmed up with while nobody used it (warm-up.ts). */
  readonly warmedUp: number;
  /** Host a new sandbox: `init` goes to the worker with the sandbox's first message, which builds the sandbox from it. */
  attach(tenant: Tenant, init: unknown): number;
  /**
   * The sandbox is gone: `farewell` (its `dispose` request) goes to the worker, unless the worker
   * never heard of it. A retired carrier ends with its last one.
   */
  detach(sandbox: number, farewell: unknown): void;
  post(sandbox: number, body: unknown): void;
  /** No new tenants; end when the last one leaves. */
  retire(): void;
  /** The host waits on it: keep the process alive until `release`. */
  hold(): void;
  release(): void;
  /** Stop now: every tenant still in it fails with `error`. */
  terminate(error: EsmSandboxError): void;
  /**
   * The worker is blocked in a synchronous call to the host, which the host is answering now: a
   * call of one of its functions can be served at once, inside that wait (`callNow`). Always
   * false for a child process, whose parent cannot block on IPC.
   */
  readonly waitingOnHost: boolean;
  /**
   * Call function `fn` of `sandbox` inside the worker's wait and block until it answers, at most
   * `limitMs`: the reply, or undefined when the worker did not answer in time. Only while
   * `waitingOnHost`.
   */
  callNow(sandbox: number, fn: number, args: unknown, limitMs: number): SyncReply | undefined;
}
