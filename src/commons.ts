/**
 * Host intrinsics captured when esm-sandbox loads, in the style of SES's commons.js and
 * Node's primordials. Host code that touches a sandbox value calls these, never a method
 * looked up on the value, so nothing the sandbox redefines runs on the host's behalf.
 */
import { types } from 'node:util';

const uncurry = <T, A extends unknown[], R>(fn: (this: T, ...args: A) => R) =>
  (self: T, ...args: A): R => Reflect.apply(fn, self, args);

export const {
  apply: ReflectApply,
  defineProperty: ReflectDefineProperty,
  getOwnPropertyDescriptor: ReflectGetOwnPropertyDescriptor,
  getPrototypeOf: ReflectGetPrototypeOf,
  ownKeys: ReflectOwnKeys,
} = Reflect;

export const ObjectCreate = Object.create;
export const ObjectPrototype = Object.prototype;
export const ArrayIsArray = Array.isArray;

export const MapPrototypeEntries = uncurry(Map.prototype.entries) as (self: Map<unknown, unknown>) => IterableIterator<[unknown, unknown]>;
export const SetPrototypeValues = uncurry(Set.prototype.values) as (self: Set<unknown>) => IterableIterator<unknown>;
export const FunctionPrototypeToString = uncurry(Function.prototype.toString) as (self: (...args: never[]) => unknown) => string;
export const DatePrototypeGetTime = uncurry(Date.prototype.getTime) as (self: Date) => number;
const regExpGetter = (name: 'source' | 'flags') =>
  ReflectGetOwnPropertyDescriptor(RegExp.prototype, name)!.get as (this: RegExp) => string;
const RegExpSourceGetter = regExpGetter('source');
/** `flags` is a generic getter that reads user-overridable props; rebuild flags from the slot-reading getters instead. */
const RegExpFlagGetters = (['hasIndices', 'global', 'ignoreCase', 'multiline', 'dotAll', 'unicode', 'unicodeSets', 'sticky'] as const)
  .map((name, i) => [('dgimsuvy')[i]!, ReflectGetOwnPropertyDescriptor(RegExp.prototype, name)?.get] as const)
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

/** Does this object come from the host realm? True when its prototype chain ends at the host's `Object.prototype`. Proxies are never walked. */
export function isHostObject(value: object): boolean {
  let current: object | null = value;
  for (let depth = 0; current !== null && depth < 10_000; depth++) {
    if (current === ObjectPrototype) return true;
    if (isProxy(current)) return false;
    current = ReflectGetPrototypeOf(current);
  }
  return false;
}
