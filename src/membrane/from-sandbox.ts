/**
 * Sandbox → host copying. Runs no sandbox code: only own data properties are read, through
 * host intrinsics; proxies and getters are refused (or described, in `describe` mode, which
 * console output uses). Functions become host callables supplied by the membrane.
 */
import {
  ArrayIsArray,
  DatePrototypeGetTime,
  MapPrototypeEntries,
  ObjectCreate,
  ReflectDefineProperty,
  ReflectGetOwnPropertyDescriptor,
  ReflectOwnKeys,
  RegExpFlags,
  RegExpSource,
  SetPrototypeValues,
  isArrayBuffer,
  isBoxedPrimitive,
  isDate,
  isMap,
  isModuleNamespaceObject,
  isNativeError,
  inheritedMethods,
  isPromise,
  isProxy,
  isRegExp,
  isSet,
  isTypedArray,
  typedArrayInfo,
  walkPrototypes,
} from '../commons.js';
import { MembraneError } from '../errors/errors.js';

/** Limits of a copy, in either direction. */
export interface CopyLimits {
  /** Deepest nesting copied. */
  maxDepth: number;
  /** Most values (objects and primitives) copied in one crossing. */
  maxNodes: number;
}

export interface CopyOutHooks {
  /** A sandbox function (with the object it was read from, for `this`) as a host callable. */
  wrapFunction(fn: (...args: unknown[]) => unknown, receiver: unknown): unknown;
  /** A sandbox promise as a host promise. */
  wrapPromise(promise: object): unknown;
  /**
   * A sandbox `then` method: every host `await` of the copy calls it, so it must settle within
   * the deadline whatever the sandbox's `then` does (loop, throw, call back twice, never).
   */
  wrapThen(fn: (...args: unknown[]) => unknown, receiver: unknown): unknown;
  /** Is this sandbox-realm function the face of a host function (so calling it runs host code only)? */
  isHostFunction?(fn: object): boolean;
  /**
   * The sandbox's own `Object.prototype`: where the walk for an instance's methods stops. Without
   * it, only own properties are copied.
   */
  readonly objectPrototype?: object;
}

export type CopyOutMode = 'strict' | 'describe';

/**
 * Method names the host runtime calls without being asked (coercion, JSON). Symbol-keyed hooks
 * (Symbol.toPrimitive, util.inspect.custom) never cross: copies carry string keys only. (`then`,
 * which every host `await` calls, crosses as an adopter instead: see CopyOutHooks.wrapThen.)
 */
const IMPLICIT_HOOKS: ReadonlySet<string> = new Set(['toString', 'valueOf', 'toLocaleString', 'toJSON']);

const hostTypedArrays: Record<string, new (buffer: ArrayBuffer) => ArrayBufferView> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

/**
 * What one copy keeps, in either direction: the values already copied (so cycles and shared
 * references stay one value on the other side) and how many (CopyLimits.maxNodes).
 */
export abstract class Copier {
  protected nodes = 0;
  protected readonly seen = new Map<object, unknown>();

  protected keep<T>(from: object, to: T): T {
    this.seen.set(from, to);
    return to;
  }
}

export class CopyOut extends Copier {
  constructor(
    private readonly hooks: CopyOutHooks,
    private readonly limits: CopyLimits,
    private readonly mode: CopyOutMode,
  ) {
    super();
  }

  copy(value: unknown, path: string, depth = 0, receiver?: unknown): unknown {
    if (++this.nodes > this.limits.maxNodes) return this.refuse(`more than ${this.limits.maxNodes} values`, path);
    if (typeof value === 'function') {
      if (isProxy(value)) return this.refuse('it is a Proxy', path);
      return this.mode === 'describe'
        ? `[Function: ${describeName(value)}]`
        : this.hooks.wrapFunction(value as (...args: unknown[]) => unknown, receiver);
    }
    if (value === null || typeof value !== 'object') return value;
    const known = this.seen.get(value);
    if (known !== undefined) return known;
    if (depth > this.limits.maxDepth) return this.refuse(`nested deeper than ${this.limits.maxDepth} levels`, path);
    if (isProxy(value)) return this.refuse('it is a Proxy', path);
    if (isPromise(value)) return this.mode === 'describe' ? '[Promise]' : this.hooks.wrapPromise(value);
    if (ArrayIsArray(value)) return this.copyArray(value, path, depth);
    if (isDate(value)) return this.keep(value, new Date(DatePrototypeGetTime(value as Date)));
    if (isRegExp(value)) return this.keep(value, new RegExp(RegExpSource(value as RegExp), RegExpFlags(value as RegExp)));
    if (isMap(value)) return this.copyMap(value as Map<unknown, unknown>, path, depth);
    if (isSet(value)) return this.copySet(value as Set<unknown>, path, depth);
    if (isTypedArray(value)) return this.copyTyped(value, path);
    if (isArrayBuffer(value)) return this.keep(value, new Uint8Array(new Uint8Array(value as ArrayBuffer)).buffer);
    if (isNativeError(value)) return this.copyError(value, path, depth);
    if (isBoxedPrimitive(value)) return this.refuse('boxed primitives are not supported', path);
    if (isModuleNamespaceObject(value)) return this.copyObject(value, path, depth, ObjectCreate(null));
    const out = this.copyObject(value, path, depth, {});
    if (this.mode === 'strict') this.copyMethods(value, path, depth, out);
    return out;
  }

  private refuse(reason: string, path: string): string {
    if (this.mode === 'describe') return `[${reason}]`;
    throw new MembraneError(reason, path);
  }

  /** An own property's value, refusing accessors: a getter is sandbox code. */
  private read(target: object, key: PropertyKey, path: string): { ok: true; value: unknown } | { ok: false } {
    let desc: PropertyDescriptor | undefined;
    try {
      desc = ReflectGetOwnPropertyDescriptor(target, key);
    } catch {
      // An uninitialised binding of a module namespace (a cycle still evaluating).
      return { ok: false };
    }
    if (desc === undefined) return { ok: true, value: undefined };
    if (!('value' in desc)) {
      this.refuse(`"${String(key)}" is a getter or setter`, path);
      return { ok: false };
    }
    return { ok: true, value: desc.value };
  }

  private copyArray(source: unknown[], path: string, depth: number): unknown[] {
    const lengthRead = this.read(source, 'length', path);
    const length = lengthRead.ok ? (lengthRead.value as number) : 0;
    if (length > this.limits.maxNodes) this.refuse(`an array of ${length} items`, path);
    const out = this.keep(source, new Array<unknown>(length));
    for (let i = 0; i < length; i++) {
      const item = this.read(source, String(i), `${path}[${i}]`);
      // No receiver for items: an array holds values, not methods (see CrossedFunctions in membrane.ts).
      if (item.ok) out[i] = this.copy(item.value, `${path}[${i}]`, depth + 1);
    }
    return out;
  }

  private copyObject(source: object, path: string, depth: number, out: Record<PropertyKey, unknown>): Record<PropertyKey, unknown> {
    this.keep(source, out);
    for (const key of ReflectOwnKeys(source)) {
      if (typeof key !== 'string') continue;
      let desc: PropertyDescriptor | undefined;
      try {
        desc = ReflectGetOwnPropertyDescriptor(source, key);
      } catch {
        continue;
      }
      if (desc === undefined || !desc.enumerable) continue;
      const childPath = path ? `${path}.${key}` : key;
      if (!('value' in desc)) {
        ReflectDefineProperty(out, key, {
          value: this.refuse(`"${key}" is a getter or setter`, childPath),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        continue;
      }
      // A sandbox function under a name the host's own runtime calls implicitly (String(), `+`,
      // JSON.stringify, template literals) would run sandbox code on the host's behalf whenever the
      // host formats the copy; such a copy keeps its data and inherits the host's own conversions.
      // (A host function that went in and comes back is itself again: it runs no sandbox code.)
      if (typeof desc.value === 'function' && IMPLICIT_HOOKS.has(key) && this.hooks.isHostFunction?.(desc.value) !== true) continue;
      ReflectDefineProperty(out, key, {
        value: this.member(key, desc.value, childPath, depth, source),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }

  /** A property's value read from `source`: a sandbox `then` becomes an adopter, the rest a copy. */
  private member(key: string, value: unknown, path: string, depth: number, source: object): unknown {
    if (
      key === 'then' &&
      typeof value === 'function' &&
      this.mode === 'strict' &&
      !isProxy(value) &&
      this.hooks.isHostFunction?.(value) !== true
    ) {
      return this.hooks.wrapThen(value as (...args: unknown[]) => unknown, source);
    }
    return this.copy(value, path, depth + 1, source);
  }

  /**
   * Methods an instance inherits from its classes (commons.ts, inheritedMethods): each becomes a
   * host callable with the instance as `this`, as own methods do. Accessors and data that is not
   * a function are left out; so are conversion hooks the sandbox wrote (see IMPLICIT_HOOKS).
   */
  private copyMethods(source: object, path: string, depth: number, out: Record<PropertyKey, unknown>): void {
    const stop = this.hooks.objectPrototype;
    if (stop === undefined) return;
    for (const [key, method] of inheritedMethods(source, stop)) {
      if (IMPLICIT_HOOKS.has(key) && this.hooks.isHostFunction?.(method) !== true) continue;
      const childPath = path ? `${path}.${key}` : key;
      ReflectDefineProperty(out, key, {
        value: this.member(key, method, childPath, depth, source),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }

  private copyMap(source: Map<unknown, unknown>, path: string, depth: number): Map<unknown, unknown> {
    const out = this.keep(source, new Map<unknown, unknown>());
    for (const [key, value] of MapPrototypeEntries(source)) {
      out.set(this.copy(key, `${path}<key>`, depth + 1), this.copy(value, `${path}<value>`, depth + 1));
    }
    return out;
  }

  private copySet(source: Set<unknown>, path: string, depth: number): Set<unknown> {
    const out = this.keep(source, new Set<unknown>());
    for (const value of SetPrototypeValues(source)) out.add(this.copy(value, `${path}<item>`, depth + 1));
    return out;
  }

  private copyTyped(source: object, path: string): unknown {
    const info = typedArrayInfo(source);
    const Ctor = hostTypedArrays[info.tag];
    if (!Ctor) return this.refuse(`${info.tag} is not supported`, path);
    const bytes = new Uint8Array(info.buffer, info.byteOffset, info.byteLength).slice();
    return this.keep(source, new Ctor(bytes.buffer));
  }

  private copyError(source: object, path: string, depth: number): Error {
    const name = errorName(source);
    const message = this.read(source, 'message', path);
    const out = new Error(message.ok && typeof message.value === 'string' ? message.value : '');
    this.keep(source, out);
    ReflectDefineProperty(out, 'name', { value: name, writable: true, configurable: true, enumerable: false });
    // The stack of a sandbox error is formatted by sandbox code; a plain copy does not carry it.
    ReflectDefineProperty(out, 'stack', { value: `${name}: ${out.message}`, writable: true, configurable: true, enumerable: false });
    for (const key of ['code', 'cause', 'errors'] as const) {
      const field = this.read(source, key, path);
      if (field.ok && field.value !== undefined) {
        ReflectDefineProperty(out, key, {
          value: this.copy(field.value, `${path}.${key}`, depth + 1),
          writable: true,
          configurable: true,
          enumerable: key === 'code',
        });
      }
    }
    return out;
  }
}

/** An error's name from its chain's data properties only; no getter, no proxy trap runs. */
export function errorName(error: object): string {
  return walkPrototypes(
    error,
    (current) => {
      const desc = ReflectGetOwnPropertyDescriptor(current, 'name');
      if (desc === undefined) return undefined;
      return 'value' in desc && typeof desc.value === 'string' ? desc.value : 'Error';
    },
    { proxy: 'Error', end: 'Error' },
  );
}

function describeName(fn: object): string {
  const desc = ReflectGetOwnPropertyDescriptor(fn, 'name');
  return desc && typeof desc.value === 'string' ? desc.value : 'anonymous';
}
