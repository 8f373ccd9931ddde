/**
 * `worker` isolation: the sandbox's realm lives in a worker thread started with
 * `--experimental-vm-modules` (so the host needs no flag) and, with `memoryLimitMb`, a heap cap.
 * The host keeps the allow-listed functions and answers the worker's synchronous calls to them.
 * If the worker dies (out of memory, past the deadline) pending operations reject with a typed
 * error and the sandbox reports itself disposed; the host process never goes down with it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { isPromise } from '../commons.js';
import { DeadlineError, DisposedError, EsmSandboxError, MemoryLimitError } from '../errors/errors.js';
import type { NormalizedOptions } from '../sandbox/options.js';
import type { ModuleNamespace, Sandbox, SandboxOptions } from '../types.js';
import { decode, decodeError, encode, encodeError, type Message, type Request, type SyncCall, type SyncReply } from './protocol.js';
import type { WorkerInit } from './worker-main.js';

type AnyFunction = (...args: unknown[]) => unknown;
type Pending = { resolve(value: unknown): void; reject(reason: unknown): void; timer: NodeJS.Timeout | undefined; namespace: boolean };
type RequestBody = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never;

/** Extra wall-clock the host grants past the worker's own deadline before it terminates the worker. */
const DEADLINE_GRACE_MS = 1_000;

/** Compiled output has the worker entry beside this file; under a TypeScript test runner, dist has it. */
function workerEntry(): URL {
  const sibling = new URL('./worker-main.js', import.meta.url);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  return new URL('../../dist/worker/worker-main.js', import.meta.url);
}

export class WorkerSandbox implements Sandbox {
  readonly isolation = 'worker' as const;
  readonly root: string;
  private readonly worker: Worker;
  private readonly functions = new Map<number, AnyFunction>();
  private nextFunction = 1;
  private nextRequest = 1;
  private nextPromise = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private death: EsmSandboxError | undefined;

  constructor(private readonly options: SandboxOptions, private readonly normalized: NormalizedOptions) {
    this.root = normalized.root;
    const { port1, port2 } = new MessageChannel();
    const init: WorkerInit = {
      options: {
        root: normalized.root, timeout: normalized.timeout, deadline: normalized.deadline, policy: options.policy,
        name: normalized.name, maxModuleBytes: normalized.maxModuleBytes,
        hasConsole: options.console !== undefined, hasOnError: options.onError !== undefined, hasOnWarning: options.onWarning !== undefined,
      },
      modules: encode(Object.fromEntries(normalized.modules), this.register) as Record<string, unknown>,
      callPort: port2,
      flag: this.flag.buffer as SharedArrayBuffer,
    };
    this.worker = new Worker(workerEntry(), {
      execArgv: ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning'],
      resourceLimits: normalized.memoryLimitMb ? { maxOldGenerationSizeMb: normalized.memoryLimitMb, maxYoungGenerationSizeMb: Math.max(4, Math.ceil(normalized.memoryLimitMb / 8)) } : undefined,
      workerData: init,
      transferList: [port2],
      stdout: false,
      stderr: false,
    });
    port1.on('message', (call: SyncCall) => this.answer(port1, call));
    port1.unref();
    this.worker.on('message', (message: Message) => this.receive(message));
    this.worker.on('error', (error: Error & { code?: string }) => {
      this.die(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? new MemoryLimitError(normalized.memoryLimitMb) : new EsmSandboxError('ERR_SANDBOX_THROWN', `The sandbox worker failed: ${error.message}`));
    });
    this.worker.on('exit', () => this.die(new DisposedError('its worker exited')));
    this.worker.unref();
  }

  get disposed(): boolean { return this.death !== undefined; }

  import<T extends ModuleNamespace = ModuleNamespace>(specifier: string): Promise<T> {
    return this.request({ op: 'import', specifier }, `import("${specifier}")`) as Promise<T>;
  }

  evaluate<T extends ModuleNamespace = ModuleNamespace>(source: string, options: { filename?: string } = {}): Promise<T> {
    return this.request({ op: 'evaluate', source, filename: options.filename }, 'evaluate()') as Promise<T>;
  }

  async dispose(): Promise<void> {
    if (this.death !== undefined) return;
    this.die(new DisposedError('it was disposed by its owner'));
  }

  [Symbol.asyncDispose](): Promise<void> { return this.dispose(); }

  private readonly register = (fn: AnyFunction): number => {
    const id = this.nextFunction++;
    this.functions.set(id, fn);
    return id;
  };

  private readonly sandboxFunction = (id: number): AnyFunction => {
    const fn = (...args: unknown[]) => this.request({ op: 'call', fn: id, args: encode(args, this.register) }, 'a call');
    return fn;
  };

  private request(body: RequestBody, what: string): Promise<unknown> {
    if (this.death !== undefined) return Promise.reject(this.death instanceof DisposedError ? this.death : new DisposedError(`it was stopped earlier: ${this.death.message}`));
    const id = this.nextRequest++;
    return new Promise((resolve, reject) => {
      const limit = this.normalized.deadline;
      const timer = Number.isFinite(limit) ? setTimeout(() => this.die(new DeadlineError(limit, what)), limit + DEADLINE_GRACE_MS) : undefined;
      this.pending.set(id, { resolve, reject, timer, namespace: body.op === 'import' || body.op === 'evaluate' });
      this.worker.ref();
      this.worker.postMessage({ ...body, id } as Request);
    });
  }

  private receive(message: Message): void {
    switch (message.kind) {
      case 'reply': {
        const waiter = this.pending.get(message.id);
        if (waiter === undefined) return;
        this.settle(message.id);
        if (message.ok) {
          const value = decode(message.value, this.sandboxFunction);
          waiter.resolve(waiter.namespace ? freezeTop(value) : value);
        }
        else {
          const error = decodeError(message.error);
          waiter.reject(error);
          // The worker's sandbox is dead after these: so is this one, and its thread can go.
          const code = (error as { code?: string }).code;
          if (code === 'ERR_SANDBOX_TIMEOUT' || code === 'ERR_SANDBOX_DEADLINE') this.die(error as EsmSandboxError);
        }
        return;
      }
      case 'console': this.options.console?.(message.level as never, message.args as unknown[]); return;
      case 'error': this.options.onError?.(decodeError(message.error)); return;
      case 'warning': this.options.onWarning?.(message.diagnostic as never); return;
      case 'ready': return;
    }
  }

  /** Answer a synchronous call from the worker, then wake it. */
  private answer(port: MessagePort, call: SyncCall): void {
    let reply: SyncReply;
    try {
      const fn = this.functions.get(call.fn);
      if (fn === undefined) throw new Error('This host function is no longer available');
      const result = fn(...(decode(call.args, this.sandboxFunction) as unknown[]));
      if (isPromise(result)) {
        const promise = this.nextPromise++;
        (result as Promise<unknown>).then(
          (value) => this.worker.postMessage({ kind: 'settle', promise, ok: true, value: encode(value, this.register) }),
          (error: unknown) => this.worker.postMessage({ kind: 'settle', promise, ok: false, value: undefined, error: encodeError(error) }),
        );
        reply = { ok: true, promise };
      } else {
        reply = { ok: true, value: encode(result, this.register) };
      }
    } catch (error) {
      reply = { ok: false, error: encodeError(error) };
    }
    port.postMessage(reply);
    Atomics.store(this.flag, 0, 1);
    Atomics.notify(this.flag, 0);
  }

  private settle(id: number): void {
    const waiter = this.pending.get(id);
    if (waiter?.timer !== undefined) clearTimeout(waiter.timer);
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }

  private die(error: EsmSandboxError): void {
    if (this.death !== undefined) return;
    this.death = error;
    for (const [id, waiter] of [...this.pending]) {
      this.settle(id);
      waiter.reject(error);
    }
    void this.worker.terminate();
  }
}

type MessagePort = import('node:worker_threads').MessagePort;

function freezeTop(value: unknown): unknown {
  return value !== null && typeof value === 'object' ? Object.freeze(value) : value;
}
