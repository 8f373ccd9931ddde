/**
 * The wire between a worker sandbox and its host. Values are host copies already (the membrane
 * ran inside the worker), so structured clone carries them; functions travel as markers that
 * name an entry in the other side's function table, errors as their class name and fields.
 */
import * as errors from '../errors/errors.js';

const FN = '__esmSandboxFn';

export type FunctionRegistry = (fn: (...args: unknown[]) => unknown) => number;
export type FunctionFactory = (id: number) => (...args: unknown[]) => unknown;

/** Replace functions by markers, keeping the shape (and cycles) of everything else. */
export function encode(value: unknown, register: FunctionRegistry, seen = new Map<object, unknown>()): unknown {
  if (typeof value === 'function') return { [FN]: register(value as (...args: unknown[]) => unknown) };
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(encode(item, register, seen));
    return out;
  }
  if (value instanceof Map) {
    const out = new Map<unknown, unknown>();
    seen.set(value, out);
    for (const [k, v] of value) out.set(encode(k, register, seen), encode(v, register, seen));
    return out;
  }
  if (value instanceof Set) {
    const out = new Set<unknown>();
    seen.set(value, out);
    for (const v of value) out.add(encode(v, register, seen));
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = proto === null ? Object.create(null) : {};
  seen.set(value, out);
  for (const key of Object.keys(value)) out[key] = encode((value as Record<string, unknown>)[key], register, seen);
  return out;
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
  if (typeof record[FN] === 'number' && Object.keys(record).length === 1) return make(record[FN]);
  for (const key of Object.keys(record)) record[key] = decode(record[key], make, seen);
  return value;
}

export interface WireError {
  className: string;
  message: string;
  stack: string | undefined;
  fields: Record<string, unknown>;
}

const FIELDS = ['code', 'url', 'line', 'column', 'frame', 'specifier', 'referrer', 'diagnostics', 'sandboxName', 'thrown', 'timeout', 'deadline', 'path', 'sandboxCode'];

export function encodeError(error: unknown): WireError {
  if (!(error instanceof Error)) return { className: 'Error', message: String(error), stack: undefined, fields: {} };
  const fields: Record<string, unknown> = {};
  for (const key of FIELDS) {
    const value = (error as unknown as Record<string, unknown>)[key];
    if (value !== undefined) fields[key] = encode(value, () => 0);
  }
  return { className: error.constructor.name, message: error.message, stack: error.stack, fields };
}

const classes = errors as unknown as Record<string, new (...args: never[]) => Error>;

/** Rebuild an error of esm-sandbox's own class (or a plain Error), with its fields and stack. */
export function decodeError(wire: WireError): Error {
  const Class = classes[wire.className];
  const error = Class !== undefined && Class.prototype instanceof errors.EsmSandboxError
    ? Object.create(Class.prototype) as Error
    : new (globalThis as unknown as Record<string, ErrorConstructor>)[wire.className in globalThis ? wire.className : 'Error']!();
  Object.defineProperty(error, 'message', { value: wire.message, writable: true, configurable: true });
  Object.defineProperty(error, 'name', { value: wire.className, writable: true, configurable: true });
  Object.defineProperty(error, 'stack', { value: wire.stack ?? `${wire.className}: ${wire.message}`, writable: true, configurable: true });
  for (const [key, value] of Object.entries(wire.fields)) Object.defineProperty(error, key, { value, enumerable: true, configurable: true });
  return error;
}

/** Host → worker requests. */
export type Request =
  | { id: number; op: 'import'; specifier: string }
  | { id: number; op: 'evaluate'; source: string; filename: string | undefined }
  | { id: number; op: 'call'; fn: number; args: unknown }
  | { id: number; op: 'dispose' };

/** Worker → host messages on the main port. */
export type Message =
  | { kind: 'ready' }
  | { kind: 'reply'; id: number; ok: true; value: unknown }
  | { kind: 'reply'; id: number; ok: false; error: WireError }
  | { kind: 'console'; level: string; args: unknown }
  | { kind: 'error'; error: WireError }
  | { kind: 'warning'; diagnostic: unknown };

/** Host → worker, async: a host promise returned by a bridged call has settled. */
export type Settlement = { kind: 'settle'; promise: number; ok: boolean; value: unknown; error?: WireError };

/** Worker → host on the call port, answered synchronously while the worker waits. */
export interface SyncCall { fn: number; args: unknown }
export type SyncReply =
  | { ok: true; value: unknown }
  | { ok: true; promise: number }
  | { ok: false; error: WireError };
