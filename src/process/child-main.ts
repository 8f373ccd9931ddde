/**
 * The main thread of a `process` isolation child. It starts ONE worker thread, the very worker of
 * `worker` isolation (worker-main.ts, with its heap cap), and relays between it and the parent:
 * parent → worker envelopes, worker → parent envelopes, and the worker's synchronous calls. For
 * those the worker posts on its call port and blocks on a shared flag; this thread forwards the
 * call to the parent, and when the parent's answer comes back posts it on the call port and wakes
 * the worker. The worker stays blocked all along: the call is as synchronous as in a thread.
 *
 * This thread never runs sandbox code, so it stays free to watch the worker: a turn that runs
 * past its `timeout` plus a grace (stuck in a builtin that ignores termination), or a resident
 * size past the cap, is reported to the parent, which kills this process. Nothing here may wait
 * for the worker: a stuck worker would keep even `process.exit` from finishing.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { CallAnswer, Inbound, InboundCall, Outbound } from '../worker/carrier.js';
import { WORKER_EXEC_ARGV, workerEntry, workerLimits } from '../worker/thread.js';
import type { FromChild, ToChild } from './child.js';

/** How often this thread looks at the worker's turn and at the process's resident size. */
const WATCH_MS = 100;

const [memoryArg = '0', rssArg = '0', graceArg = '1000', warmUpArg = ''] = process.argv.slice(2);
const memoryLimitMb = Number(memoryArg) || undefined;
const rssCapMb = Number(rssArg);
const graceMs = Number(graceArg);

const send = (message: FromChild): void => {
  if (process.connected) process.send!(message);
};

/** The parent is gone (or let this process go): end at once, whatever the worker is doing. */
const vanish = (): never => process.kill(process.pid, 'SIGKILL') as never;
process.on('disconnect', vanish);

const flag = new Int32Array(new SharedArrayBuffer(8));
const turns = new Int32Array(new SharedArrayBuffer(8));
const epoch = Date.now();
const { port1: callPort, port2 } = new MessageChannel();
const worker = new Worker(workerEntry(), {
  execArgv: WORKER_EXEC_ARGV,
  resourceLimits: workerLimits(memoryLimitMb),
  workerData: { callPort: port2, flag: flag.buffer, turns: { slots: turns.buffer, epoch }, warmUp: warmUpArg === 'warm-up' },
  transferList: [port2],
  stdout: false,
  stderr: false,
});

/**
 * Calls of the worker's still with the parent: the worker waits on purpose, it is not stuck. A
 * turn also gets a fresh grace once an answer came (a slow host is not the sandbox's doing).
 */
let calling = 0;
let answeredAt = 0;
/** An error as the wire carries it (protocol.ts `WireError`), built here to keep this entry small. */
const wireError = (error: unknown) => ({
  className: 'Error',
  message: `esm-sandbox: ${(error as Error).message}`,
  stack: undefined,
  fields: {},
});

callPort.on('message', (call: InboundCall) => {
  try {
    calling++;
    send({ relay: 'call', call });
  } catch (error) {
    // IPC refused what the worker could clone: the call fails, the worker must not wait forever.
    answerCall(callPort, { seq: call.seq, reply: { ok: false, error: wireError(error) } });
  }
});
worker.on('message', (message: Outbound) => {
  try {
    send(message);
  } catch (error) {
    // Someone waits for a reply: it fails. Other messages (console, warnings) are dropped.
    if (message.body.kind === 'reply')
      send({ sandbox: message.sandbox, body: { kind: 'reply', id: message.body.id, ok: false, error: wireError(error) } });
  }
});

process.on('message', (message: ToChild) => {
  if ('port' in message) {
    answerCall(callPort, message.port);
    return;
  }
  worker.postMessage(message satisfies Inbound);
});

function answerCall(port: MessagePort, answer: CallAnswer): void {
  calling = Math.max(0, calling - 1);
  answeredAt = Date.now();
  port.postMessage(answer);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

// The worker ended (out of memory, an uncaught error): so does this process, once the parent knows why.
let ended: { code: string | undefined; message: string } | undefined;
worker.on('error', (error: Error & { code?: string }) => {
  ended ??= { code: error.code, message: error.message };
});
worker.on('exit', (code) => {
  const why = ended ?? { code: undefined, message: `the worker exited with code ${code}` };
  if (!process.connected) vanish();
  process.send!({ relay: 'end', ...why } satisfies FromChild, () => vanish());
});

let reported = false;
setInterval(() => {
  if (reported) return;
  const started = Atomics.load(turns, 0);
  const timeout = Atomics.load(turns, 1);
  if (started > 0 && timeout >= 0 && calling === 0) {
    const now = Date.now();
    const ran = now - epoch - (started - 1);
    if (now - Math.max(epoch + started - 1, answeredAt) > timeout + graceMs) {
      reported = true;
      send({ relay: 'stuck', ranMs: ran, timeout });
      return;
    }
  }
  if (rssCapMb > 0) {
    const rssMb = process.memoryUsage.rss() / 1_048_576;
    if (rssMb > rssCapMb) {
      reported = true;
      send({ relay: 'rss', rssMb: Math.round(rssMb) });
    }
  }
}, WATCH_MS);
