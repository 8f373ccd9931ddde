/**
 * The envelopes between the host and a worker thread, through shared memory: one ring per
 * direction in a SharedArrayBuffer, the reader woken by `Atomics.notify` and waiting with
 * `Atomics.waitAsync`, so neither event loop ever blocks on it. A bare postMessage round trip pays
 * for MessageEvent dispatch and a structured clone on both sides; a message in the ring is JSON
 * text, read where it lies (test/bench/worker-call.bench.ts has the numbers).
 *
 * JSON carries exactly what structured clone would only for plain data; anything else (a Map, a
 * Date, undefined inside a value, a shared reference, a large payload) goes on a MessagePort and
 * leaves a marker in the ring, whose reader then takes it off the port at once: one ordered stream
 * either way. When the ring is full the writer keeps a backlog and writes it as the reader frees
 * room.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

type WaitAsync = (words: Int32Array, index: number, value: number) =>
  { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
/** In Node since 16; in TypeScript's lib only from es2024. */
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** Header words of one direction: where the writer is, where the reader is (byte offsets in the ring). */
const WRITE = 0;
const READ = 1;
const HEADER_BYTES = 8;
/** Ring bytes per direction; a record's text is at most a quarter of it, else it takes the port. */
const RING_BYTES = 64 * 1024;
const MAX_INLINE = RING_BYTES / 4;
/** A record's length word: the next message is on the port, or the ring goes on at its start. */
const ON_PORT = -1;
const WRAP = -2;
/** A record of numbers (see `packed`): the next word counts them, then each is a float64. */
const PACKED = -3;
const CALL = 0;
const REPLY = 1;
/** Tags of the primitives a packed record carries, each followed by its number. */
const PRIMITIVES = [undefined, null, false, true] as const;
const NUMBER_TAG = PRIMITIVES.length;
const MAX_PACKED_ARGS = 8;

const tagOf = (value: unknown): number => (typeof value === 'number' ? NUMBER_TAG : PRIMITIVES.indexOf(value as never));

/**
 * The two envelopes of every plain call, when their values are numbers, booleans, null or
 * undefined (exact as float64: -0 and NaN included), as numbers: no text to make or parse.
 */
function packed(message: object): number[] | undefined {
  const { sandbox, body, heapMb, create } = message as { sandbox: number; body?: Record<string, unknown>; heapMb?: number; create?: boolean };
  if (create === true || heapMb !== undefined || typeof body !== 'object' || body === null) return undefined;
  if (body.op === 'call' && Array.isArray(body.args) && body.args.length <= MAX_PACKED_ARGS) {
    const numbers = [CALL, sandbox, body.id as number, body.fn as number];
    for (const arg of body.args as unknown[]) {
      const tag = tagOf(arg);
      if (tag < 0) return undefined;
      numbers.push(tag, tag === NUMBER_TAG ? arg as number : 0);
    }
    return numbers;
  }
  if (body.kind === 'reply' && body.ok === true) {
    const tag = tagOf(body.value);
    if (tag < 0) return undefined;
    return [REPLY, sandbox, body.id as number, tag, tag === NUMBER_TAG ? body.value as number : 0];
  }
  return undefined;
}

function unpacked(numbers: number[]): object {
  const value = (at: number): unknown => (numbers[at] === NUMBER_TAG ? numbers[at + 1] : PRIMITIVES[numbers[at]!]);
  if (numbers[0] === REPLY) return { sandbox: numbers[1], body: { kind: 'reply', id: numbers[2], ok: true, value: value(3) } };
  const args: unknown[] = [];
  for (let at = 4; at < numbers.length; at += 2) args.push(value(at));
  return { sandbox: numbers[1], body: { id: numbers[2], op: 'call', fn: numbers[3], args } };
}
/** JSON is checked to be faithful up to this many values; a larger message takes the port. */
const MAX_VALUES = 256;

/** What one side holds: its direction out, the other's in, and the port for what JSON cannot carry. */
export interface ChannelEnd { out: SharedArrayBuffer; in: SharedArrayBuffer; port: MessagePort }

/** Both ends of a new channel: keep `host`, hand `worker` over (its port in the transfer list). */
export function openChannel(): { host: ChannelEnd; worker: ChannelEnd } {
  const toWorker = new SharedArrayBuffer(HEADER_BYTES + RING_BYTES);
  const toHost = new SharedArrayBuffer(HEADER_BYTES + RING_BYTES);
  const { port1, port2 } = new MessageChannel();
  return { host: { out: toWorker, in: toHost, port: port1 }, worker: { out: toHost, in: toWorker, port: port2 } };
}

/**
 * Text JSON round-trips to an equal value, or undefined: only strings, finite numbers other than
 * -0, booleans, null, dense plain arrays and plain objects (Object.prototype, no `__proto__` key),
 * each reached once. `undefined` only as a property of the envelope or of its body (JSON drops
 * it, and those read a missing property as undefined), never deeper, where user values are.
 */
export function faithfulJson(message: object): string | undefined {
  let budget = MAX_VALUES;
  const seen = new Set<object>();
  const faithful = (value: unknown, depth: number): boolean => {
    if (--budget < 0) return false;
    switch (typeof value) {
      case 'string': case 'boolean': return true;
      case 'number': return Number.isFinite(value) && !Object.is(value, -0);
      case 'undefined': return depth <= 2;
      case 'object': break;
      default: return false;
    }
    if (value === null) return true;
    if (seen.has(value)) return false;
    seen.add(value);
    if (Array.isArray(value)) {
      if (Object.getPrototypeOf(value) !== Array.prototype || Object.keys(value).length !== value.length) return false;
      for (const item of value) if (!faithful(item, depth + 1)) return false;
      return true;
    }
    if (Object.getPrototypeOf(value) !== Object.prototype) return false;
    for (const key of Object.keys(value)) {
      if (key === '__proto__' || !faithful((value as Record<string, unknown>)[key], depth + 1)) return false;
    }
    return true;
  };
  return faithful(message, 0) ? JSON.stringify(message) : undefined;
}

/** What one ring record holds: JSON text, a packed envelope, or "on the port". */
type Item = string | number[] | typeof ON_PORT;

export class ChannelWriter {
  private readonly words: Int32Array;
  private readonly bytes: Buffer;
  /** Records (text, or ON_PORT for one already posted) waiting for room, in order. */
  private readonly backlog: Array<Item> = [];
  private closed = false;

  constructor(private readonly end: ChannelEnd) {
    this.words = new Int32Array(end.out, 0, 2);
    this.bytes = Buffer.from(end.out, HEADER_BYTES, RING_BYTES);
  }

  /** Send one envelope; throws (as postMessage does) when structured clone refuses it. */
  write(message: object): void {
    if (this.closed) return;
    let record: Item | undefined = packed(message);
    if (record === undefined) {
      const text = faithfulJson(message);
      if (text !== undefined && text.length <= MAX_INLINE && Buffer.byteLength(text) <= MAX_INLINE) {
        record = text;
      } else {
        this.end.port.postMessage(message);
        record = ON_PORT;
      }
    }
    if (this.backlog.length > 0 || !this.put(record)) {
      this.backlog.push(record);
      if (this.backlog.length === 1) void this.drainBacklog();
    }
  }

  /** The other side is gone: wake this side's waiter so it lets go, and write nothing more. */
  close(): void {
    this.closed = true;
    this.backlog.length = 0;
    Atomics.notify(this.words, READ);
  }

  private async drainBacklog(): Promise<void> {
    while (!this.closed && this.backlog.length > 0) {
      if (this.put(this.backlog[0]!)) {
        this.backlog.shift();
        continue;
      }
      const read = Atomics.load(this.words, READ);
      const waited = waitAsync(this.words, READ, read);
      if (waited.async) await waited.value;
    }
  }

  /** Write one record if it fits (one length word, the text padded to a word), and wake the reader. */
  private put(record: Item): boolean {
    const length = typeof record === 'string' ? Buffer.byteLength(record) : typeof record === 'number' ? 0 : 4 + 8 * record.length;
    const need = 4 + ((length + 3) & ~3);
    let write = Atomics.load(this.words, WRITE);
    const read = Atomics.load(this.words, READ);
    // Free bytes, one word kept empty so that write === read always means "empty".
    const free = (read - write - 4 + RING_BYTES) % RING_BYTES;
    const tail = RING_BYTES - write;
    if (need > tail) {
      // Not contiguous at the end: a wrap marker there, the record at the start.
      if (tail + need > free) return false;
      this.bytes.writeInt32LE(WRAP, write);
      write = 0;
    } else if (need > free) {
      return false;
    }
    if (typeof record === 'string') {
      this.bytes.writeInt32LE(length, write);
      this.bytes.write(record, write + 4, length, 'utf8');
    } else if (typeof record === 'number') {
      this.bytes.writeInt32LE(ON_PORT, write);
    } else {
      this.bytes.writeInt32LE(PACKED, write);
      this.bytes.writeInt32LE(record.length, write + 4);
      for (let i = 0; i < record.length; i++) this.bytes.writeDoubleLE(record[i]!, write + 8 + 8 * i);
    }
    Atomics.store(this.words, WRITE, (write + need) % RING_BYTES);
    Atomics.notify(this.words, WRITE);
    return true;
  }
}

export class ChannelReader {
  private readonly words: Int32Array;
  private readonly bytes: Buffer;
  private closed = false;

  constructor(private readonly end: ChannelEnd, private readonly deliver: (message: unknown) => void) {
    this.words = new Int32Array(end.in, 0, 2);
    this.bytes = Buffer.from(end.in, HEADER_BYTES, RING_BYTES);
    void this.serve();
  }

  /** Stop serving (the other side is gone); `drain` first to take what it wrote before it went. */
  close(): void {
    this.closed = true;
    Atomics.notify(this.words, WRITE);
  }

  /**
   * Deliver every message written so far, now (also when a carrier ends: what its worker wrote
   * before it went still arrives, as Node drains a worker's port before its 'exit').
   */
  drain(): void {
    let read = Atomics.load(this.words, READ);
    while (!this.closed && read !== Atomics.load(this.words, WRITE)) {
      const length = this.bytes.readInt32LE(read);
      if (length === WRAP) {
        read = 0;
        continue;
      }
      let message: unknown;
      if (length === ON_PORT) {
        message = receiveMessageOnPort(this.end.port)?.message;
        read = (read + 4) % RING_BYTES;
      } else if (length === PACKED) {
        const numbers: number[] = [];
        const count = this.bytes.readInt32LE(read + 4);
        for (let i = 0; i < count; i++) numbers.push(this.bytes.readDoubleLE(read + 8 + 8 * i));
        message = unpacked(numbers);
        read = (read + 8 + 8 * count) % RING_BYTES;
      } else {
        message = JSON.parse(this.bytes.toString('utf8', read + 4, read + 4 + length)) as unknown;
        read = (read + 4 + ((length + 3) & ~3)) % RING_BYTES;
      }
      Atomics.store(this.words, READ, read);
      Atomics.notify(this.words, READ);
      try {
        this.deliver(message);
      } catch (error) {
        // As a throwing 'message' listener would: uncaught, but the stream goes on.
        queueMicrotask(() => { throw error; });
      }
      // A delivery may have closed the channel (the last tenant left and the carrier ended).
      read = Atomics.load(this.words, READ);
    }
  }

  private async serve(): Promise<void> {
    while (!this.closed) {
      this.drain();
      if (this.closed) return;
      const waited = waitAsync(this.words, WRITE, Atomics.load(this.words, READ));
      if (waited.async) await waited.value;
    }
  }
}
