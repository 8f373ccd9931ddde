/**
 * Inside the worker: a `context` sandbox, driven by the host's requests. Bridged host functions
 * are called synchronously: the call goes out on a port of its own and this thread waits on a
 * shared flag until the host has answered (a host promise comes back as a promise here).
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { createSandbox } from '../sandbox/create.js';
import type { ModuleDefinition, Sandbox, SandboxOptions } from '../types.js';
import { decode, decodeError, encode, encodeError, type Message, type Request, type Settlement, type SyncReply } from './protocol.js';

export interface WorkerInit {
  options: SandboxOptions & { hasConsole: boolean; hasOnError: boolean; hasOnWarning: boolean };
  modules: Record<string, unknown>;
  callPort: MessagePort;
  flag: SharedArrayBuffer;
}

const init = workerData as WorkerInit;
const port = parentPort!;
const flag = new Int32Array(init.flag);
const exported = new Map<number, (...args: unknown[]) => unknown>();
let nextFunction = 1;
const register = (fn: (...args: unknown[]) => unknown) => {
  const id = nextFunction++;
  exported.set(id, fn);
  return id;
};
const waiting = new Map<number, { resolve(value: unknown): void; reject(reason: unknown): void }>();
const post = (message: Message) => port.postMessage(message);

function callHost(fn: number, args: unknown[]): unknown {
  init.callPort.postMessage({ fn, args: encode(args, register) });
  Atomics.wait(flag, 0, 0);
  Atomics.store(flag, 0, 0);
  const reply = receiveMessageOnPort(init.callPort)?.message as SyncReply | undefined;
  if (reply === undefined) throw new Error('esm-sandbox: the host did not answer a bridged call');
  if (!reply.ok) throw decodeError(reply.error);
  if ('promise' in reply) return new Promise((resolve, reject) => waiting.set(reply.promise, { resolve, reject }));
  return decode(reply.value, hostFunction);
}
const hostFunction = (id: number) => (...args: unknown[]) => callHost(id, args);

const { hasConsole, hasOnError, hasOnWarning, ...options } = init.options;
const sandbox: Sandbox = createSandbox({
  ...options,
  isolation: 'context',
  modules: decode(init.modules, hostFunction) as Record<string, ModuleDefinition>,
  console: hasConsole ? (level, args) => post({ kind: 'console', level, args: encode(args, () => 0) }) : undefined,
  onError: hasOnError ? (error) => post({ kind: 'error', error: encodeError(error) }) : undefined,
  onWarning: hasOnWarning ? (diagnostic) => post({ kind: 'warning', diagnostic }) : undefined,
});

async function handle(request: Request): Promise<unknown> {
  switch (request.op) {
    case 'import': return sandbox.import(request.specifier);
    case 'evaluate': return sandbox.evaluate(request.source, { filename: request.filename });
    case 'call': {
      const fn = exported.get(request.fn);
      if (fn === undefined) throw new Error('esm-sandbox: that function is no longer available');
      return fn(...(decode(request.args, hostFunction) as unknown[]));
    }
    case 'dispose': return sandbox.dispose();
  }
}

port.on('message', (message: Request | Settlement) => {
  if ('kind' in message) {
    const waiter = waiting.get(message.promise);
    waiting.delete(message.promise);
    if (message.ok) waiter?.resolve(decode(message.value, hostFunction));
    else waiter?.reject(message.error ? decodeError(message.error) : new Error('rejected'));
    return;
  }
  handle(message).then(
    (value) => post({ kind: 'reply', id: message.id, ok: true, value: encode(value, register) }),
    (error: unknown) => post({ kind: 'reply', id: message.id, ok: false, error: encodeError(error) }),
  );
});
post({ kind: 'ready' });
