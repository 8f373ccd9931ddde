/**
 * The wire between a worker sandbox and its host. Values are host copies already (the membrane
 * ran inside the worker), so structured clone carries them; functions and promises travel as
 * markers that name an entry in the sending side's table (a promise's settlement follows as a
 * `settle` message), errors as their class name and fields.
 */
import { types } from 'node:util';
import { inheritedMethods, isPromise, isMap, isSet } from '../commons.js';
import * as errors from '../errors/errors.js';
import { SourceModule } from '../link/allowed.js';

const FN = '__esmSandboxFn';
const PROMISE = '__esmSandboxPromise';
/** A `SourceModule` (structured clone would drop its class) travels as its source under this key. */
const SOURCE = '__esmSandboxSourceModule';
const ERROR = '__esmSandboxError';
/**
 * Plain data that merely looks like a marker (a sandbox can return `{ __esmSandboxFn: -1 }` or
 * `{ __esmSandboxPromise: 7 }`) travels wrapped under this key, so the other side never turns it
 * into a function, a promise, an error or a SourceModule: it stays the data it was, as in
 * `context` isolation. (Unescaped, such data gave the host its own functions back, forged
 * esm-sandbox errors, and promises whose rejection at dispose crashed the host unhandled.)
 */
const ESCAPED = '__esmSandboxEscaped';
const MARKER_KEYS: ReadonlySet<string> = new Set([FN, PROMISE, SOURCE, ERROR, ESCAPED]);

/** Gives a function or promise about to cross an id; the sender keeps it (and settles the promise later). */
export type FunctionRegistry = (value: ((...args: unknown[]) => unknown) | Promise<unknown>) => number;
/**
 * The receiving side's stand-in for a marker: a callable, or a promise waiting for its `settle`
 * message. `then`: a function found under the key `then`, which only promise machinery calls
 * (membrane.ts, adopter): the host keeps the resolvers it is given and asks the other side for
 * the settlement alone, so settling never depends on a call back across the wire.
 */
export type FunctionFactory = (id: number, kind: 'function' | 'promise' | 'then') => unknown;

/** Replace functions by markers, keeping the shape (and cycles) of everything else. */
export function encode(value: unknown, register: FunctionRegistry, seen = new Map<object, unknown>()): unknown {
  if (typeof value === 'function') return { [FN]: register(value as (...args: unknown[]) => unknown) };
  if (value === null || typeof value !== 'object') return value;
  // Structured clone keeps an error's name and message but drops `code` and other fields: send them too.
  if (value instanceof Error) return { [ERROR]: encodeError(value, register) };
  if (value instanceof SourceModule) return { [SOURCE]: value.source };
  if (isPromise(value)) return { [PROMISE]: register(value as Promise<unknown>) };
  const known = seen.get(value);
  if (known !== undefined) return known;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(encode(item, register, seen));
    return out;
  }
  // Internal-slot checks, not instanceof: a Proxy of a Map passes instanceof, then fails to iterate.
  if (isMap(value)) {
    const out = new Map<unknown, unknown>();
    seen.set(value, out);
    for (const [k, v] of value as Map<unknown, unknown>) out.set(encode(k, register, seen), encode(v, register, seen));
    return out;
  }
  if (isSet(value)) {
    const out = new Set<unknown>();
    seen.set(value, out);
    for (const v of value as Set<unknown>) out.add(encode(v, register, seen));
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    if (clonesWhole(value)) return value;
    // A class instance: structured clone would drop its methods, while the context membrane hands
    // them over as functions. Cross the same way: own enumerable data, plus the prototype's methods.
    const out: Record<string, unknown> = {};
    const wire = shell(value, out);
    seen.set(value, wire);
    for (const key of Object.keys(value)) setOwn(out, key, encode((value as Record<string, unknown>)[key], register, seen));
    for (const [key, method] of inheritedMethods(value, Object.prototype)) {
      if (!MARKER_KEYS.has(key)) setOwn(out, key, { [FN]: register((method as (...args: unknown[]) => unknown).bind(value)) });
    }
    return wire;
  }
  const out: Record<string, unknown> = proto === null ? Object.create(null) : {};
  const wire = shell(value, out);
  seen.set(value, wire);
  for (const key of Object.keys(value)) setOwn(out, key, encode((value as Record<string, unknown>)[key], register, seen));
  return wire;
}

/** What crosses for an object whose copy is `out`: `out` itself, or `out` wrapped when a key looks like a marker. */
function shell(value: object, out: Record<string, unknown>): unknown {
  return Object.keys(value).some((key) => MARKER_KEYS.has(key)) ? { [ESCAPED]: out } : out;
}

/**
 * An own data property, whatever the key: assigning `__proto__` (an own key of parsed JSON, or of a
 * sandbox copy) would set the prototype instead, dropping the key or handing the object a prototype
 * the other side chose.
 */
function setOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Built-in kinds structured clone carries faithfully (everything else with a prototype is a class instance). */
function clonesWhole(value: object): boolean {
  return (
    types.isDate(value) ||
    types.isRegExp(value) ||
    types.isAnyArrayBuffer(value) ||
    ArrayBuffer.isView(value) ||
    types.isBoxedPrimitive(value)
  );
}

/** The inverse of `encode`: markers become callables made by `make`. */
export function decode(value: unknown, make: FunctionFactory, seen = new Set<object>()): unknown {
  if (value === null || typeof value !== 'object' || value instanceof Error) return value;
  if (seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = decode(value[i], make, seen);
    return value;
  }
  if (value instanceof Map) {
    const entries = [...value].map(([k, v]) => [decode(k, make, seen), decode(v, make, seen)] as const);
    value.clear();
    for (const [k, v] of entries) value.set(k, v);
    return value;
  }
  if (value instanceof Set) {
    const items = [...value].map((v) => decode(v, make, seen));
    value.clear();
    for (const v of items) value.add(v);
    return value;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const record = value as Record<string, unknown>;
  if (typeof record[ESCAPED] === 'object' && record[ESCAPED] !== null && Object.keys(record).length === 1) {
    // Data that looked like a marker: becomes that data again, in this very object (cycles point here).
    const inner = record[ESCAPED] as Record<string, unknown>;
    delete record[ESCAPED];
    for (const key of Object.keys(inner)) setOwn(record, key, decode(inner[key], make, seen));
    return record;
  }
  if (typeof record[FN] === 'number' && Object.keys(record).length === 1) return make(record[FN], 'function');
  if (typeof record[PROMISE] === 'number' && Object.keys(record).length === 1) return make(record[PROMISE], 'promise');
  if (typeof record[SOURCE] === 'string' && Object.keys(record).length === 1) return new SourceModule(record[SOURCE]);
  if (typeof record[ERROR] === 'object' && record[ERROR] !== null && Object.keys(record).length === 1) {
    return decodeError(record[ERROR] as WireError, make);
  }
  for (const key of Object.keys(record)) {
    const item = record[key] as Record<string, unknown> | null;
    const then =
      key === 'then' && typeof item === 'object' && item !== null && typeof item[FN] === 'number' && Object.keys(item).length === 1;
    const decoded = then ? make(item[FN] as number, 'then') : decode(item, make, seen);
    // Most values decode to themselves (primitives, plain data): nothing to redefine.
    if (decoded !== item) setOwn(record, key, decoded);
  }
  return value;
}

export interface WireError {
  className: string;
  /** The error's `name` when it differs from its class's (a copy made as `Error` but named `TypeError`). */
  name?: string;
  message: string;
  stack: string | undefined;
  fields: Record<string, unknown>;
  /** A thrown value that is not an Error, encoded (only where `encodeError` was given a registry). */
  value?: unknown;
}

const FIELDS = [
  'code',
  'url',
  'line',
  'column',
  'frame',
  'specifier',
  'referrer',
  'diagnostics',
  'sandboxName',
  'thrown',
  'timeout',
  'deadline',
  'disposed',
  'path',
  'sandboxCode',
];

/**
 * @param register given where the other side can call back (a bridged call's throw, a host promise's
 * rejection): a thrown value that is not an Error then crosses as itself (`value`), functions included,
 * as it does in context isolation.
 */
export function encodeError(error: unknown, register?: FunctionRegistry): WireError {
  if (!(error instanceof Error)) {
    const wire: WireError = {
      className: 'Error',
      message: typeof error === 'object' && error !== null ? '[object]' : String(error),
      stack: undefined,
      fields: {},
    };
    if (register !== undefined) wire.value = encode(error, register);
    return wire;
  }
  const fields: Record<string, unknown> = {};
  for (const key of FIELDS) {
    const value = (error as unknown as Record<string, unknown>)[key];
    if (value !== undefined) fields[key] = encode(value, register ?? (() => 0));
  }
  const wire: WireError = { className: error.constructor.name, message: error.message, stack: error.stack, fields };
  if (typeof error.name === 'string' && error.name !== wire.className) wire.name = error.name;
  return wire;
}

const classes = errors as unknown as Record<string, new (...args: never[]) => Error>;

/** What was thrown: the value itself when it was not an Error (see `encodeError`), else the rebuilt error. */
export function decodeThrown(wire: WireError, make: FunctionFactory): unknown {
  return 'value' in wire ? decode(wire.value, make) : decodeError(wire, make);
}

/** Where nobody can be called back (errors reported after the fact), function markers become this. */
const unavailable: FunctionFactory = () => () => {
  throw new errors.MembraneError('it did not cross with the error that held it', 'a function');
};

/** Error classes every realm has: an error of one of these names is rebuilt as an instance of it. */
const STANDARD_ERRORS = new Set([
  'Error',
  'TypeError',
  'RangeError',
  'SyntaxError',
  'ReferenceError',
  'EvalError',
  'URIError',
  'AggregateError',
]);

/**
 * One identity per function across the wire, on top of a side's own registry and factory: the same
 * function always gets the same id, the same id always the same stand-in, and a stand-in sent back
 * travels as the negated id of the original, which the other side resolves to its own function.
 * So a function that goes out and comes back is itself again, as in context isolation.
 */
export function functionIdentity(register: FunctionRegistry, make: FunctionFactory): { register: FunctionRegistry; make: FunctionFactory } {
  const ids = new WeakMap<object, number>();
  const own = new Map<number, unknown>();
  const standIns = new Map<number, unknown>();
  const remoteIds = new WeakMap<object, number>();
  return {
    register: (value) => {
      if (typeof value !== 'function') return register(value);
      const remote = remoteIds.get(value);
      if (remote !== undefined) return -remote;
      let id = ids.get(value);
      if (id === undefined) {
        id = register(value);
        ids.set(value, id);
        own.set(id, value);
      }
      return id;
    },
    make: (id, kind) => {
      if (kind === 'then') return id < 0 ? (own.get(-id) ?? make(id, 'function')) : make(id, 'then');
      if (kind !== 'function') return make(id, kind);
      if (id < 0) return own.get(-id) ?? make(id, kind);
      let standIn = standIns.get(id);
      if (standIn === undefined) {
        standIn = make(id, kind);
        standIns.set(id, standIn);
        remoteIds.set(standIn as object, id);
      }
      return standIn;
    },
  };
}

/** Rebuild an error of esm-sandbox's own class (or a plain Error), with its fields and stack. */
export function decodeError(wire: WireError, make: FunctionFactory = unavailable): Error {
  const Class = classes[wire.className];
  const standard = [wire.name, wire.className].find((name) => name !== undefined && STANDARD_ERRORS.has(name)) ?? 'Error';
  const error = new (globalThis as unknown as Record<string, ErrorConstructor>)[standard]!();
  // A real Error (not Object.create of the prototype): what is native-error-branded is carried
  // into a sandbox as an error, with its name and message, exactly as in context isolation.
  if (Class !== undefined && Class.prototype instanceof errors.EsmSandboxError) Object.setPrototypeOf(error, Class.prototype);
  Object.defineProperty(error, 'message', { value: wire.message, writable: true, configurable: true });
  Object.defineProperty(error, 'name', { value: wire.name ?? wire.className, writable: true, configurable: true });
  Object.defineProperty(error, 'stack', { value: wire.stack ?? `${wire.className}: ${wire.message}`, writable: true, configurable: true });
  for (const [key, value] of Object.entries(wire.fields))
    Object.defineProperty(error, key, { value: decode(value, make), enumerable: true, configurable: true });
  return error;
}

/** Host → worker requests. */
export type Request =
  | { id: number; op: 'import'; specifier: string }
  | { id: number; op: 'evaluate'; source: string; filename: string | undefined }
  | { id: number; op: 'call'; fn: number; args: unknown }
  | { id: number; op: 'files' }
  /** A plugin generation prepared in one request (plugins/load-plugin.ts); `load` is an encoded PluginLoad. */
  | { id: number; op: 'plugin'; load: unknown }
  | { id: number; op: 'dispose' };

/** Worker → host messages on the main port. */
export type Message =
  | { kind: 'ready' }
  /** The thread warmed up with this many sandboxes of its own (warm-up.ts). */
  | { kind: 'warmed'; rounds: number }
  | { kind: 'reply'; id: number; ok: true; value: unknown }
  | { kind: 'reply'; id: number; ok: false; error: WireError }
  | { kind: 'console'; level: string; args: unknown }
  | { kind: 'error'; error: WireError }
  | { kind: 'warning'; diagnostic: unknown }
  | Settlement;

/** Either way, async: a promise that crossed as a marker (or came back from a bridged call) has settled. */
export type Settlement = { kind: 'settle'; promise: number; ok: boolean; value: unknown; error?: WireError };

/** Worker → host on the call port, answered synchronously while the worker waits. */
export interface SyncCall {
  fn: number;
  args: unknown;
}
export type SyncReply = { ok: true; value: unknown } | { ok: true; promise: number } | { ok: false; error: WireError };
