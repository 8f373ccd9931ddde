/**
 * One worker thread, started with `--experimental-vm-modules`, hosting any number of sandboxes
 * (each a context of its own inside it). Messages travel in envelopes that name the sandbox; the
 * thread routes them to its tenants. Bridged host calls arrive on a call port of their own while
 * the worker waits on a shared flag, so they are answered here, synchronously, and the flag set.
 *
 * Contexts that ever held a `vm.SourceTextModule` are never collected (docs/ARCHITECTURE.md section 9), so
 * a thread counts the contexts it made and its heap; past its budget its lane retires it: no
 * new tenants, and once the last one leaves, `terminate()` frees its whole heap.
 */
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort, type ResourceLimits } from 'node:worker_threads';
import { now } from '../commons.js';
import { distFolder, threadEntry } from '../dist-files.js';
import { DisposedError, MemoryLimitError, SandboxCrashedError, type EsmSandboxError } from '../errors/errors.js';
import { HOST_WAKE } from './carrier.js';
import type { CallAnswer, Carrier, Inbound, InboundCall, NestedAnswer, NestedCall, Outbound } from './carrier.js';
import { Tenancy } from './tenancy.js';
import { encodeError, type SyncReply } from './protocol.js';

/**
 * The worker entry in dist (see distFolder). When the build bundled the worker side (scripts/bundle-worker.mjs), boot.cjs, which loads the
 * bundle with its code cache: a thread starts ~60 ms sooner (see boot.cts). Looked up once.
 */
let entry: URL | undefined;
export function workerEntry(): URL {
  return (entry ??= threadEntry(distFolder(import.meta.url, 'worker', 'worker-main.js'), 'worker-main.js'));
}

/** The heap cap of a worker with `memoryLimitMb` (young generation an eighth of it, at least 4 MB). */
export function workerLimits(memoryLimitMb: number | undefined): ResourceLimits | undefined {
  return memoryLimitMb
    ? { maxOldGenerationSizeMb: memoryLimitMb, maxYoungGenerationSizeMb: Math.max(4, Math.ceil(memoryLimitMb / 8)) }
    : undefined;
}

/** How a worker is started: with the flag, and its output not piped (sandbox console goes by message). */
export const WORKER_EXEC_ARGV = ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning'];

export class WorkerThread extends Tenancy implements Carrier {
  protected readonly kind = 'worker thread';
  private readonly worker: Worker;
  /** [0]: the host wakes the worker (an answer is on the call port); [HOST_WAKE]: the worker wakes the host. */
  private readonly flag = new Int32Array(new SharedArrayBuffer(8));
  private readonly callPort: MessagePort;
  /** Synchronous calls of the worker being answered now: while any, the worker is blocked on us. */
  private answering = 0;
  /** The worker's turn was cut off under a nested call: it no longer waits, whatever `answering` says. */
  private abandoned = false;
  private nestedSeq = 0;

  /** @param warmUp it may warm up while nobody uses it (see StartCarrier). */
  constructor(
    readonly memoryLimitMb?: number,
    warmUp = false,
  ) {
    super();
    const { port1, port2 } = new MessageChannel();
    this.worker = new Worker(workerEntry(), {
      execArgv: WORKER_EXEC_ARGV,
      resourceLimits: workerLimits(memoryLimitMb),
      workerData: { callPort: port2, flag: this.flag.buffer, warmUp },
      transferList: [port2],
      stdout: false,
      stderr: false,
    });
    this.callPort = port1;
    port1.on('message', (call: InboundCall) => this.answer(port1, call));
    port1.unref();
    this.worker.on('message', (message: Outbound) => this.route(message));
    this.worker.on('error', (error: Error & { code?: string }) => {
      this.end(
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new MemoryLimitError(memoryLimitMb)
          : new SandboxCrashedError(`it failed with ${error.message}`, 'worker thread'),
      );
    });
    this.worker.on('exit', () => this.end(new DisposedError('its worker thread exited')));
    this.worker.unref();
  }

  protected deliver(message: Inbound): void {
    this.worker.postMessage(message);
  }

  protected keepAlive(on: boolean): void {
    if (on) this.worker.ref();
    else this.worker.unref();
  }

  /** Stop the thread now: every tenant still in it fails with `error`. */
  terminate(error: EsmSandboxError): void {
    this.end(error);
    void this.worker.terminate();
  }

  get waitingOnHost(): boolean {
    return this.answering > 0 && !this.abandoned && this.ended === undefined;
  }

  /**
   * A host function, answering the worker's call, calls a function of the worker's (a sandbox
   * callback): the worker serves it inside its wait, and this thread blocks until it answers. A
   * call the worker makes back to the host meanwhile is answered here, as deep as it goes.
   */
  callNow(sandbox: number, fn: number, args: unknown, limitMs: number): SyncReply | undefined {
    const seq = ++this.nestedSeq;
    this.callPort.postMessage({ nested: { sandbox, seq, fn, args } } satisfies NestedCall);
    Atomics.store(this.flag, 0, 1);
    Atomics.notify(this.flag, 0);
    const until = now() + limitMs;
    for (;;) {
      const left = until - now();
      if (left <= 0 || Atomics.wait(this.flag, HOST_WAKE, 0, left) === 'timed-out') return undefined;
      Atomics.store(this.flag, HOST_WAKE, 0);
      for (
        let message = receiveMessageOnPort(this.callPort)?.message as NestedAnswer | InboundCall | undefined;
        message !== undefined;
        message = receiveMessageOnPort(this.callPort)?.message as NestedAnswer | InboundCall | undefined
      ) {
        if ('call' in message) {
          this.answer(this.callPort, message);
        } else if ('abandoned' in message) {
          this.abandoned = true;
          return {
            ok: false,
            error: encodeError(new DisposedError("the sandbox's turn was cut off (its timeout) while this call of its function ran")),
          };
        } else if (message.seq === seq) {
          return message.nestedReply;
        }
        // Else: the answer to a nested call abandoned earlier.
      }
    }
  }

  /** Answer a synchronous call from the worker, then wake it. */
  private answer(port: MessagePort, { sandbox, seq, call }: InboundCall): void {
    const tenant = this.tenants.get(sandbox);
    let reply: SyncReply;
    this.answering++;
    try {
      reply =
        tenant === undefined
          ? { ok: false, error: { className: 'Error', message: 'The sandbox is disposed', stack: undefined, fields: {} } }
          : tenant.answer(call);
    } finally {
      if (--this.answering === 0) this.abandoned = false;
    }
    try {
      port.postMessage({ seq, reply } satisfies CallAnswer);
    } catch (error) {
      // A value structured clone refuses (a Symbol a host function returned): thrown here, it was
      // an uncaught exception in the host, and the worker waited until its turn timed out.
      port.postMessage({ seq, reply: { ok: false, error: encodeError(error) } } satisfies CallAnswer);
    }
    Atomics.store(this.flag, 0, 1);
    Atomics.notify(this.flag, 0);
  }
}
