/**
 * Host intrinsics captured when esm-sandbox loads, in the style of SES's commons.js and
 * Node's primordials. Host code that touches a sandbox value calls these, never a method
 * looked up on the value, so nothing the sandbox redefines runs on the host's behalf.
 */
import { types } from 'node:util';

const uncurry =
  <T, A extends unknown[], R>(fn: (this: T, ...args: A) => R) =>
  (self: T, ...args: A): R =>
    Reflect.apply(fn, self, args);

export const {
  apply: ReflectApply,
  defineProperty: ReflectDefineProperty,
  getOwnPropertyDescriptor: ReflectGetOwnPropertyDescriptor,
  getPrototypeOf: ReflectGetPrototypeOf,
  ownKeys: ReflectOwnKeys,
} = Reflect;

export const ObjectCreate = Object.create;
export const ObjectPrototype = Object.prototype;
export const ArrayPrototype = Array.prototype;
export const ArrayIsArray = Array.isArray;

export const MapPrototypeEntries = uncurry(Map.prototype.entries) as (self: Map<unknown, unknown>) => IterableIterator<[unknown, unknown]>;
export const SetPrototypeValues = uncurry(Set.prototype.values) as (self: Set<unknown>) => IterableIterator<unknown>;
export const FunctionPrototypeToString = uncurry(Function.prototype.toString) as (self: (...args: never[]) => unknown) => string;
export const DatePrototypeGetTime = uncurry(Date.prototype.getTime) as (self: Date) => number;
const regExpGetter = (name: 'source' | 'flags') => ReflectGetOwnPropertyDescriptor(RegExp.prototype, name)!.get as (this: RegExp) => string;
const RegExpSourceGetter = regExpGetter('source');
/** `flags` is a generic getter that reads user-overridable props; rebuild flags from the slot-reading getters instead. */
const RegExpFlagGetters = (['hasIndices', 'global', 'ignoreCase', 'multiline', 'dotAll', 'unicode', 'unicodeSets', 'sticky'] as const)
  .map((name, i) => ['dgimsuvy'[i]!, ReflectGetOwnPropertyDescriptor(RegExp.prototype, name)?.get] as const)
  .filter((pair): pair is readonly [string, () => boolean] => pair[1] !== undefined);
export const RegExpSource = (re: RegExp): string => ReflectApply(RegExpSourceGetter, re, []);
export const RegExpFlags = (re: RegExp): string => {
  let flags = '';
  for (const [flag, getter] of RegExpFlagGetters) if (ReflectApply(getter, re, [])) flags += flag;
  return flags;
};
const TypedArrayPrototype = ReflectGetPrototypeOf(Uint8Array.prototype) as object;
const typedArrayGetter = (name: string) => ReflectGetOwnPropertyDescriptor(TypedArrayPrototype, name)!.get as (this: unknown) => unknown;
const TypedArrayTag = typedArrayGetter(Symbol.toStringTag as unknown as string);
const TypedArrayBuffer = typedArrayGetter('buffer');
const TypedArrayByteOffset = typedArrayGetter('byteOffset');
const TypedArrayByteLength = typedArrayGetter('byteLength');
/** Internal-slot reads that work across realms and run no user code. */
export const typedArrayInfo = (view: unknown) => ({
  tag: ReflectApply(TypedArrayTag, view, []) as string,
  buffer: ReflectApply(TypedArrayBuffer, view, []) as ArrayBuffer,
  byteOffset: ReflectApply(TypedArrayByteOffset, view, []) as number,
  byteLength: ReflectApply(TypedArrayByteLength, view, []) as number,
});

export const {
  isProxy,
  isPromise,
  isDate,
  isRegExp,
  isMap,
  isSet,
  isNativeError,
  isTypedArray,
  isArrayBuffer,
  isBoxedPrimitive,
  isModuleNamespaceObject,
} = types;

/** Longest prototype chain any walk follows: real chains are a few levels; a longer one is made to stall us. */
const MAX_PROTOTYPE_CHAIN = 10_000;

/**
 * The one prototype-chain walk of host code: `visit` sees `from`, then each prototype in turn,
 * until it returns a result. A proxy ends the walk before it is visited (its `getPrototypeOf` trap
 * is sandbox code), with `ends.proxy`; the end of the chain, or a chain longer than any real one,
 * with `ends.end`. Only the captured `Reflect.getPrototypeOf` is called.
 */
export function walkPrototypes<T>(from: object | null, visit: (current: object) => T | undefined, ends: { proxy: T; end: T }): T {
  let current = from;
  for (let depth = 0; current !== null && depth < MAX_PROTOTYPE_CHAIN; depth++) {
    if (isProxy(current)) return ends.proxy;
    const result = visit(current);
    if (result !== undefined) return result;
    current = ReflectGetPrototypeOf(current);
  }
  return ends.end;
}

/** Does this object come from the host realm? True when its prototype chain ends at the host's `Object.prototype`. Proxies are never walked. */
export function isHostObject(value: object): boolean {
  return walkPrototypes(value, (current) => (current === ObjectPrototype ? true : undefined), { proxy: false, end: false });
}

/** Class levels whose methods cross with an instance (a deeper hierarchy is not a plugin's). */
const MAX_CLASS_LEVELS = 32;

/**
 * The methods an instance inherits from its classes (a plugin or an API client written as a
 * class), nearest first, for the membrane to hand over as functions bound to it: each function
 * held in a data property of a prototype between `value` and `stop` (that realm's
 * `Object.prototype`). `constructor` is left out, and so is a name the instance or a nearer
 * prototype already has, as a property lookup would. The walk ends at a proxy (its traps are
 * the other side's code) and at a built-in prototype: an object made with
 * `Object.create(Array.prototype)` is not an array to call `push` on. Every crossing (to and
 * from a sandbox, to and from a worker) copies instances with this one walk.
 */
export function inheritedMethods(value: object, stop: object): Array<[string, (...args: never[]) => unknown]> {
  const found: Array<[string, (...args: never[]) => unknown]> = [];
  const proto = ReflectGetPrototypeOf(value);
  // Plain objects and null-prototype ones, nearly every copy: nothing to walk, nothing to collect.
  if (proto === stop || proto === null) return found;
  const taken = new Set<string>();
  for (const key of ReflectOwnKeys(value)) if (typeof key === 'string') taken.add(key);
  let level = 0;
  walkPrototypes(
    proto,
    (current) => {
      if (current === stop || level++ >= MAX_CLASS_LEVELS || isBuiltinPrototype(current)) return true;
      for (const key of ReflectOwnKeys(current)) {
        if (typeof key !== 'string' || key === 'constructor' || taken.has(key)) continue;
        taken.add(key);
        const desc = ReflectGetOwnPropertyDescriptor(current, key);
        if (desc !== undefined && typeof desc.value === 'function') found.push([key, desc.value as (...args: never[]) => unknown]);
      }
      return undefined;
    },
    { proxy: true, end: true },
  );
  return found;
}

/** One of a realm's own prototypes (Array.prototype, Function.prototype...): its constructor is native code. */
function isBuiltinPrototype(proto: object): boolean {
  const desc = ReflectGetOwnPropertyDescriptor(proto, 'constructor');
  if (desc === undefined || typeof desc.value !== 'function' || isProxy(desc.value)) return false;
  return FunctionPrototypeToString(desc.value as (...args: never[]) => unknown).endsWith('{ [native code] }');
}

const hrtime = process.hrtime;

/**
 * Milliseconds on the host's monotonic clock, for durations and deadlines: its origin is
 * arbitrary, the same in every thread. Not the global `performance`: its first read in a thread
 * loads perf_hooks (~1-3 ms in a new one, where a short CLI command spends its time). As fast.
 */
export function now(): number {
  const [seconds, nanoseconds] = hrtime();
  return seconds * 1e3 + nanoseconds / 1e6;
}
