/**
 * Inside a worker thread: the `context` sandboxes (tenants) it hosts, each driven by the host's
 * requests for it. Bridged host functions are called synchronously: the call goes out on a port
 * of its own and this thread waits on a shared flag until the host has answered (a host promise
 * comes back as a promise here). Each tenant has its own function and promise tables, so nothing
 * of one sandbox is reachable from another.
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { resourceLimits } from 'node:worker_threads';
// The context sandbox directly, not createSandbox: the worker never hosts worker sandboxes, so
// the host side (worker-sandbox, lane, thread) stays out of the worker's start.
import { now } from '../commons.js';
import { DisposedError } from '../errors/errors.js';
import { ContextSandbox } from '../sandbox/context-sandbox.js';
import { loadPlugin, type PluginLoad } from '../plugins/load-plugin.js';
import { observeQuietly } from '../membrane/bounded-promise.js';
import { callNow } from '../membrane/membrane.js';
import { fromPortable, normalizeOptions, type NormalizedOptions, type PortableOptions } from '../sandbox/options.js';
import { warmUp, WARM_UP_AFTER_MS } from './warm-up.js';
import type { ModuleDefinition } from '../types.js';
import { decode, decodeThrown, encode, encodeError, functionIdentity } from './protocol.js';
import type { FunctionFactory, FunctionRegistry, Message, Request, Settlement, SyncReply } from './protocol.js';
import { HOST_WAKE } from './carrier.js';
import type { CallAnswer, Inbound, InboundCall, NestedAnswer, NestedCall, Outbound } from './carrier.js';

// For the boot file that loads this thread's bundle (load-bundle.cts): the bootstrap's code cache in and out.
export { bootstrapCacheData, useBootstrapCache } from '../run/warm-realms.js';

/** What the host sends to create a sandbox here. */
export interface TenantInit {
  /** The host's normalised options (it checked them): rebuilt here, not checked again. */
  options: PortableOptions;
  hasConsole: boolean;
  hasOnWarning: boolean;
  modules: Record<string, unknown>;
  /** `options.root` is the real path of a directory, as the host found it while creating the sandbox. */
  rootChecked: boolean;
}

import { publishTurns } from '../run/turn-clock.js';

const {
  callPort,
  flag: flagBuffer,
  turns,
  warmUp: mayWarmUp,
} = workerData as {
  callPort: MessagePort;
  flag: SharedArrayBuffer;
  /** Whether this thread may warm up while nobody uses it (a lane's; warm-up.ts). */
  warmUp?: boolean;
  /** In a child process: where turns are published for its main thread's watch (turn-clock.ts). */
  turns?: { slots: SharedArrayBuffer; epoch: number };
};
if (turns !== undefined) publishTurns(new Int32Array(turns.slots), turns.epoch);
const port = parentPort!;
const flag = new Int32Array(flagBuffer);
const tenants = new Map<number, Tenant>();

/**
 * The used heap, for the lane's recycling budget. getHeapStatistics costs ~0.2 ms once a thread
 * holds many contexts (measured: 180 ms over 1,000 pool tasks, 6% of their time), so it is read
 * at most every HEAP_SAMPLE_MS; the budget is a soft bound and a value that old is good enough.
 */
const HEAP_SAMPLE_MS = 50;
let heapSampledAt = -Infinity;
const heapMb = (): number | undefined => {
  const time = now();
  if (time - heapSampledAt < HEAP_SAMPLE_MS) return undefined;
  heapSampledAt = time;
  return getHeapStatistics().used_heap_size / 1_048_576;
};

/**
 * Node's resourceLimits cap the JS heap, not ArrayBuffer memory (external to the heap): a sandbox
 * with `memoryLimitMb: 64` filled 1 GB of typed arrays unchecked (test/security/memory.test.ts).
 * So this thread also holds its ArrayBuffer memory to the size of its heap cap (4096 MB when none
 * was set), checked whenever its event loop is free, i.e. between turns; past it, the thread
 * ends as out of memory, as a heap overflow would end it. One turn can still allocate what it
 * fills within `timeout` before the check (SECURITY.md says so).
 */
const EXTERNAL_CHECK_MS = 20;
const externalCapMb = resourceLimits.maxOldGenerationSizeMb;
if (externalCapMb !== undefined && externalCapMb > 0) {
  setInterval(() => {
    if (process.memoryUsage().arrayBuffers > externalCapMb * 1_048_576) {
      // Uncaught on purpose: the host's Worker 'error' handler maps this code to MemoryLimitError.
      throw Object.assign(new Error(`ArrayBuffer memory passed the ${externalCapMb} MB cap`), { code: 'ERR_WORKER_OUT_OF_MEMORY' });
    }
  }, EXTERNAL_CHECK_MS).unref();
}
/** The thread's heap cap, which also caps the ArrayBuffer bytes one turn may allocate (run/realm-source/memory-cap.ts). */
const threadCapMb = externalCapMb !== undefined && externalCapMb > 0 ? externalCapMb : undefined;

const post = (sandbox: number, body: Message, withHeap = false) => {
  const heap = withHeap ? heapMb() : undefined;
  port.postMessage((heap !== undefined ? { sandbox, body, heapMb: heap } : { sandbox, body }) satisfies Outbound);
};

let callSeq = 0;

/**
 * Block until the host answers call `seq`. Answers to earlier calls, cut off by their turn's
 * timeout while the host was still busy with them, arrive late: dropped here, never handed to
 * this call (which may be another sandbox's). The host posts an answer before it sets the flag,
 * so a flag seen set means the answer is already on the port.
 */
function awaitAnswer(seq: number, until: number): SyncReply | undefined {
  for (;;) {
    // A metered turn has no watchdog to wake this wait: it gives up when the turn's time is.
    const left = until - now();
    if (left <= 0) return undefined;
    Atomics.wait(flag, 0, 0, left);
    Atomics.store(flag, 0, 0);
    for (
      let message = receiveMessageOnPort(callPort)?.message as CallAnswer | NestedCall | undefined;
      message !== undefined;
      message = receiveMessageOnPort(callPort)?.message as CallAnswer | NestedCall | undefined
    ) {
      if ('nested' in message) serveNested(message.nested);
      else if (message.seq === seq) return message.reply;
    }
  }
}

/** Nested calls being served now (see serveNested); more than 0 outside any wait: they were cut off. */
let serving = 0;
let abandonCheck = false;

/**
 * The host, answering one of this thread's calls, calls one of its functions (a sandbox callback):
 * serve it now, inside the wait, as context isolation would run it inside the host function.
 * If the turn's watchdog cuts the nested turn off, termination unwinds this whole stack, the wait
 * included, and no answer is ever posted: the check below, which can only run once the stack is
 * empty, then tells the host it waits in vain.
 */
function serveNested(request: NestedCall['nested']): void {
  serving++;
  if (!abandonCheck) {
    abandonCheck = true;
    setImmediate(checkAbandoned);
  }
  const tenant = tenants.get(request.sandbox);
  const reply: SyncReply =
    tenant === undefined
      ? { ok: false, error: encodeError(new DisposedError('it is gone from its worker')) }
      : tenant.callNow(request.fn, request.args);
  serving--;
  wakeHost({ seq: request.seq, nestedReply: reply });
}

function checkAbandoned(): void {
  abandonCheck = false;
  if (serving === 0) return;
  serving = 0;
  wakeHost({ abandoned: true });
}

function wakeHost(message: NestedAnswer | InboundCall): void {
  callPort.postMessage(message);
  Atomics.store(flag, HOST_WAKE, 1);
  Atomics.notify(flag, HOST_WAKE);
}

class Tenant {
  private readonly exported = new Map<number, (...args: unknown[]) => unknown>();
  private readonly waiting = new Map<number, { resolve(value: unknown): void; reject(reason: unknown): void }>();
  private nextId = 1;
  private readonly register: FunctionRegistry;
  private readonly hostFunction: FunctionFactory;
  readonly sandbox: ContextSandbox;

  constructor(
    private readonly id: number,
    init: TenantInit,
  ) {
    const registerOwn: FunctionRegistry = (value) => {
      const own = this.nextId++;
      if (typeof value === 'function') {
        this.exported.set(own, value);
      } else {
        // Quietly: forwarding is not an await, so a bounded copy's deadline starts only when the
        // host's code awaits the stand-in on its side (membrane/bounded-promise.ts).
        observeQuietly(
          value,
          (result) => this.post({ kind: 'settle', promise: own, ok: true, value: encode(result, this.register) }),
          (error: unknown) => this.post({ kind: 'settle', promise: own, ok: false, value: undefined, error: encodeError(error) }),
        );
      }
      return own;
    };
    const standIn: FunctionFactory = (remote, kind) =>
      kind === 'promise'
        ? new Promise((resolve, reject) => this.waiting.set(remote, { resolve, reject }))
        : (...args: unknown[]) => this.callHost(remote, args);
    // One identity per function across the wire (a host function that comes back is itself again).
    ({ register: this.register, make: this.hostFunction } = functionIdentity(registerOwn, standIn));
    const { hasConsole, hasOnWarning } = init;
    this.sandbox = new ContextSandbox(
      fromPortable(
        init.options,
        {
          memoryLimitMb: threadCapMb,
          modules: new Map(Object.entries(decode(init.modules, this.hostFunction) as Record<string, ModuleDefinition>)),
          console: hasConsole ? (level, args) => this.post({ kind: 'console', level, args: encode(args, () => 0) }) : undefined,
          // Always forwarded: a timeout in a timer callback is how the host learns this sandbox died.
          onError: (error) => this.post({ kind: 'error', error: encodeError(error) }),
          onWarning: hasOnWarning ? (diagnostic) => this.post({ kind: 'warning', diagnostic }) : undefined,
        },
        init.rootChecked,
      ),
    );
  }

  handle(message: Request | Settlement): void {
    if ('kind' in message) {
      const waiter = this.waiting.get(message.promise);
      this.waiting.delete(message.promise);
      if (message.ok) waiter?.resolve(decode(message.value, this.hostFunction));
      else waiter?.reject(message.error ? decodeThrown(message.error, this.hostFunction) : new Error('rejected'));
      return;
    }
    if (message.op === 'dispose') {
      // Nobody waits for this (the host let the sandbox go when it sent it): no reply, one
      // message less per sandbox. What dispose frees shows in the heap the next reply reports.
      void this.run(message).catch(() => undefined);
      return;
    }
    const loads = message.op === 'import' || message.op === 'evaluate' || message.op === 'plugin';
    this.run(message).then(
      (value) => this.post({ kind: 'reply', id: message.id, ok: true, value: encode(value, this.register) }, loads),
      (error: unknown) => this.post({ kind: 'reply', id: message.id, ok: false, error: encodeError(error) }, loads),
    );
  }

  private async run(request: Request): Promise<unknown> {
    switch (request.op) {
      case 'import':
        return this.sandbox.import(request.specifier);
      case 'evaluate':
        return this.sandbox.evaluate(request.source, { filename: request.filename });
      case 'call': {
        const fn = this.exported.get(request.fn);
        if (fn === undefined) throw new DisposedError('its functions were released in its worker');
        return fn(...(decode(request.args, this.hostFunction) as unknown[]));
      }
      case 'files':
        return this.sandbox.files();
      case 'plugin':
        return loadPlugin(this.sandbox, decode(request.load, this.hostFunction) as PluginLoad);
      case 'dispose':
        // The context itself stays in this thread's heap (Node never frees it); the thread's lane
        // recycles the thread for that. Everything of the tenant's own goes now.
        tenants.delete(this.id);
        this.exported.clear();
        this.waiting.clear();
        return this.sandbox.dispose();
    }
  }

  private post(body: Message, withHeap = false): void {
    post(this.id, body, withHeap);
  }

  /** A nested call from the host (serveNested): the function's outcome now, not a promise of it. */
  callNow(fn: number, args: unknown): SyncReply {
    try {
      const target = this.exported.get(fn);
      if (target === undefined) throw new DisposedError('that function of the sandbox was released');
      const hostArgs = decode(args, this.hostFunction) as unknown[];
      // A membrane wrapper runs its turn now; anything else (a bound method) is called as it is.
      const outcome = callNow(target, hostArgs) ?? { ok: true, value: target(...hostArgs) };
      if (!outcome.ok) return { ok: false, error: encodeError(outcome.error) };
      return { ok: true, value: encode(outcome.value, this.register) };
    } catch (error) {
      return { ok: false, error: encodeError(error) };
    }
  }

  private callHost(fn: number, args: unknown[]): unknown {
    const seq = ++callSeq;
    const call = { sandbox: this.id, seq, call: { fn, args: encode(args, this.register) } } satisfies InboundCall;
    // Inside a nested call the host is blocked in its own wait (thread.ts, callNow), not in its
    // event loop: wake it there.
    if (serving > 0) wakeHost(call);
    else callPort.postMessage(call);
    const reply = awaitAnswer(seq, now() + this.sandbox.turnTimeLeft());
    if (reply === undefined) {
      // Its answer, when it comes, is dropped as late (awaitAnswer); the turn ends as timed out.
      this.sandbox.expireTurn();
      throw new Error('the turn ran out of time waiting for the host');
    }
    if (!reply.ok) throw decodeThrown(reply.error, this.hostFunction);
    if ('promise' in reply) return new Promise((resolve, reject) => this.waiting.set(reply.promise, { resolve, reject }));
    return decode(reply.value, this.hostFunction);
  }
}

/** A sandbox of the host's has come: the thread is in use and warms up no more (warm-up.ts). */
let used = false;

port.on('message', (message: Inbound) => {
  if (message.init !== undefined) {
    used = true;
    try {
      tenants.set(message.sandbox, new Tenant(message.sandbox, message.init as TenantInit));
    } catch (error) {
      // Options were checked on the host; anything left fails the request that carried them.
      post(message.sandbox, { kind: 'error', error: encodeError(error) });
    }
  }
  const tenant = tenants.get(message.sandbox);
  if (tenant !== undefined) {
    tenant.handle(message.body as Request | Settlement);
  } else if (typeof message.body === 'object' && message.body !== null && 'op' in message.body) {
    const request = message.body as Request;
    if (request.op !== 'dispose')
      post(message.sandbox, {
        kind: 'reply',
        id: request.id,
        ok: false,
        error: encodeError(new DisposedError('it is gone from its worker')),
      });
  }
});
post(0, { kind: 'ready' });

setTimeout(() => {
  if (used || mayWarmUp !== true) return;
  let options: NormalizedOptions;
  try {
    // As the host's sandboxes are here (see Tenant), with the thread's heap cap: the same kind of realm.
    options = normalizeOptions({ root: process.cwd(), memoryLimitMb: threadCapMb });
  } catch {
    return;
  }
  void warmUp(
    () => !used,
    () => new ContextSandbox(options),
  ).then((rounds) => post(0, { kind: 'warmed', rounds }));
}, WARM_UP_AFTER_MS).unref();
