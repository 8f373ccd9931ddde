/**
 * `process` isolation's carrier: a child Node process whose main thread (child-main.ts) hosts one
 * worker thread, the same worker `worker` isolation uses, and relays its envelopes over IPC
 * (`serialization: 'advanced'`: structured clone, as between threads). To the sandboxes it hosts
 * and to the lane that recycles it, it is a thread like any other (carrier.ts).
 *
 * What it adds is surviving what kills a whole process: V8's fatal out-of-memory (one allocation
 * far past a worker's heap cap aborts the process, not just the worker), a builtin that ignores
 * termination, an abort, a signal. However the child dies, only its sandboxes fail, with
 * `MemoryLimitError` when memory was the cause and `SandboxCrashedError` otherwise.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { distFolder } from '../dist-files.js';
import { type EsmSandboxError, MemoryLimitError, SandboxCrashedError } from '../errors/errors.js';
import type { CallAnswer, Carrier, Inbound, InboundCall, Outbound } from '../worker/carrier.js';
import { Tenancy } from '../worker/tenancy.js';
import { encodeError, type Settlement, type SyncReply } from '../worker/protocol.js';

/** parent → child: an envelope for the worker, or what to post on its call port (then it is woken). */
export type ToChild = Inbound | { port: CallAnswer };
/** child → parent: an envelope of the worker's, or the child's own news. */
export type FromChild =
  | Outbound
  | { relay: 'call'; call: InboundCall }
  | { relay: 'end'; code: string | undefined; message: string }
  | { relay: 'stuck'; ranMs: number; timeout: number }
  | { relay: 'rss'; rssMb: number };

/** A turn may run this long past its `timeout` before its child is killed (the watchdog had its chance). */
export const STUCK_GRACE_MS = 1_000;
/**
 * Resident size allowed to a child with `memoryLimitMb`: the heap cap, as much again of ArrayBuffer
 * memory (worker-main holds it to the heap cap), and what Node, the worker and V8's code take.
 */
export const rssCapMb = (memoryLimitMb: number): number => 2 * memoryLimitMb + 192;
/** Bytes of the child's stderr kept: V8 prints why it aborted there. */
const STDERR_TAIL = 8_192;
/** What V8 prints when memory ended the process: a heap past its cap, or one allocation larger than V8 allows. */
const OUT_OF_MEMORY = /Reached heap limit|heap out of memory|Allocation failed|out of memory|invalid size error/i;

const isSettlement = (message: ToChild): message is { sandbox: number; body: Settlement } =>
  'body' in message && typeof message.body === 'object' && message.body !== null && (message.body as { kind?: unknown }).kind === 'settle';

let entry: string | undefined;
function childEntry(): string {
  if (entry !== undefined) return entry;
  return (entry = fileURLToPath(new URL('child-main.js', distFolder(import.meta.url, 'process', 'child-main.js'))));
}

export class ChildProcessCarrier extends Tenancy implements Carrier {
  protected readonly kind = 'child process';
  private readonly child: ChildProcess;
  private stderr = '';

  /**
   * @param options.rssCapMb the resident size past which the child is killed (default: see `rssCapMb`).
   * @param options.warmUp its worker may warm up while nobody uses it (see StartCarrier).
   */
  constructor(
    readonly memoryLimitMb?: number,
    options: { rssCapMb?: number; warmUp?: boolean } = {},
  ) {
    super();
    const rssCap = options.rssCapMb ?? (memoryLimitMb ? rssCapMb(memoryLimitMb) : 0);
    const args = [String(memoryLimitMb ?? 0), String(rssCap), String(STUCK_GRACE_MS), options.warmUp ? 'warm-up' : ''];
    this.child = fork(childEntry(), args, {
      // Not the host's flags (a test runner's loaders, inspector ports): the child needs none.
      execArgv: [],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child.on('message', (message: FromChild) => this.receive(message));
    this.child.on('error', (error) => {
      // A failed spawn or send; a child that is gone also closes, which says how it ended.
      if (this.child.pid === undefined || this.child.exitCode !== null)
        this.end(new SandboxCrashedError(`it could not be started: ${error.message}`));
    });
    this.child.on('close', (code, signal) => this.end(this.causeOfDeath(code, signal)));
    const stderr = this.child.stderr as (Readable & { unref?(): void; ref?(): void }) | null;
    stderr?.setEncoding('utf8');
    stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_TAIL);
    });
    this.unref();
  }

  /** The child's process id (tests kill it to prove a crash fails only its sandboxes). */
  get pid(): number | undefined {
    return this.child.pid;
  }
  protected deliver(message: Inbound): void {
    this.send(message);
  }

  protected keepAlive(on: boolean): void {
    if (on) this.ref();
    else this.unref();
  }

  /** SIGKILL: nothing in the child is worth a goodbye, and a stuck worker would keep any gentler exit waiting. */
  terminate(error: EsmSandboxError): void {
    this.end(error);
    this.child.kill('SIGKILL');
  }

  /**
   * The parent cannot block on IPC, so a host function's call of a sandbox callback is never
   * served inside the worker's wait: it runs after the host function returns (docs/ISOLATIONS.md, "Choosing
   * an isolation").
   */
  get waitingOnHost(): boolean {
    return false;
  }

  callNow(): SyncReply | undefined {
    return undefined;
  }

  private send(message: ToChild): void {
    if (this.ended === undefined && this.child.connected) {
      try {
        this.child.send(message);
      } catch (error) {
        // A value structured clone refuses (a Symbol a host function returned): the worker still
        // waits for an answer, a sandbox promise for its settlement. Both get the error instead;
        // anything else throws to whoever sent it (a request: its promise rejects).
        const failed = { ok: false as const, error: encodeError(error) };
        if ('port' in message) this.child.send({ port: { seq: message.port.seq, reply: failed } });
        else if (isSettlement(message))
          this.child.send({ sandbox: message.sandbox, body: { ...message.body, ...failed, value: undefined } });
        else throw error;
      }
    }
  }

  private ref(): void {
    this.child.ref();
    this.child.channel?.ref();
    (this.child.stderr as { ref?(): void } | null)?.ref?.();
  }

  private unref(): void {
    this.child.unref();
    this.child.channel?.unref();
    (this.child.stderr as { unref?(): void } | null)?.unref?.();
  }

  /** Why the child ended, when nobody here ended it: what it said, or what V8 printed, or how it exited. */
  private reported: { code: string | undefined; message: string } | undefined;
  private causeOfDeath(code: number | null, signal: NodeJS.Signals | null): EsmSandboxError {
    const said = this.reported;
    if (said?.code === 'ERR_WORKER_OUT_OF_MEMORY' || OUT_OF_MEMORY.test(this.stderr)) return new MemoryLimitError(this.memoryLimitMb);
    if (said !== undefined) return new SandboxCrashedError(`its worker failed: ${said.message}`);
    // The last thing the child printed (V8's fatal errors, Node's own) says more than an exit code.
    const lines = this.stderr.trim().split('\n');
    const last = (lines.find((line) => /fatal|error/i.test(line)) ?? lines.pop())?.replace(/^[#\s]+/, '').slice(0, 200);
    const how = signal !== null ? `it was killed by ${signal}` : `it exited with code ${String(code)}`;
    return new SandboxCrashedError(last ? `${how} (${last})` : how);
  }

  private receive(message: FromChild): void {
    if (!('relay' in message)) {
      this.route(message);
      return;
    }
    switch (message.relay) {
      case 'call':
        return this.answer(message.call);
      case 'end':
        this.reported = message;
        return;
      case 'stuck':
        return this.terminate(
          new SandboxCrashedError(
            `a turn ran ${message.ranMs} ms, past its ${message.timeout} ms timeout and a ${STUCK_GRACE_MS} ms grace, in code that ignores termination`,
          ),
        );
      case 'rss':
        return this.terminate(new MemoryLimitError(this.memoryLimitMb));
    }
  }

  /** Answer a synchronous call of the worker's; the child posts the reply on the call port and wakes it. */
  private answer({ sandbox, seq, call }: InboundCall): void {
    const tenant = this.tenants.get(sandbox);
    const reply: SyncReply =
      tenant === undefined
        ? { ok: false, error: { className: 'Error', message: 'The sandbox is disposed', stack: undefined, fields: {} } }
        : tenant.answer(call);
    this.send({ port: { seq, reply } });
  }
}
