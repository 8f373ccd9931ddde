/**
 * Realm source, first fragment: every intrinsic the bootstrap uses, captured before any user code
 * runs, so that later changes to prototypes by user code do not reach esm-sandbox's own code,
 * which calls them with `apply`. Also `lock` and `hide`, the two ways the bootstrap defines a
 * property.
 *
 * Defines: g, R, apply, DateNow, defineProperty, getPrototypeOf, getOwnPropertyDescriptor, deleteProperty,
 * the *Ctor constructors, Map/Set/WeakMap/WeakSet/Promise/String/Array methods, errorCtors,
 * typedCtors, lock, hide.
 */
import { TYPED_ARRAY_NAMES } from '../../constants.js';

export const INTRINSICS_SOURCE = String.raw`
const g = globalThis;
const R = Reflect;
const apply = R.apply, defineProperty = R.defineProperty, getPrototypeOf = R.getPrototypeOf,
  getOwnPropertyDescriptor = R.getOwnPropertyDescriptor, deleteProperty = R.deleteProperty;
const ObjectPrototype = Object.prototype, ObjectCreate = Object.create, ObjectFreeze = Object.freeze;
const ArrayCtor = Array, DateCtor = Date, RegExpCtor = RegExp, MapCtor = Map, SetCtor = Set;
const WeakMapCtor = WeakMap, ArrayBufferCtor = ArrayBuffer;
const MapGet = Map.prototype.get, MapSet = Map.prototype.set, MapDelete = Map.prototype.delete, MapHas = Map.prototype.has;
const SetAdd = Set.prototype.add;
const WeakMapGet = WeakMap.prototype.get, WeakMapSet = WeakMap.prototype.set;
const WeakSetCtor = WeakSet, WeakSetAdd = WeakSet.prototype.add, WeakSetHas = WeakSet.prototype.has;
const PromiseCtor = Promise, PromiseThen = Promise.prototype.then, PromiseResolve = Promise.resolve;
const StringCtor = String, NumberCtor = Number, DateNow = Date.now;
const FunctionPrototype = Function.prototype, SymbolReplace = Symbol.replace, ArrayOf = Array.of;
const StringSplit = String.prototype.split, StringCharCodeAt = String.prototype.charCodeAt;
const errorCtors = ObjectCreate(null);
errorCtors.Error = Error; errorCtors.TypeError = TypeError; errorCtors.RangeError = RangeError;
errorCtors.SyntaxError = SyntaxError; errorCtors.ReferenceError = ReferenceError;
errorCtors.EvalError = EvalError; errorCtors.URIError = URIError;
const ErrorCtor = Error, TypeErrorCtor = TypeError, RangeErrorCtor = RangeError;
const typedCtors = ObjectCreate(null);
for (const name of ${JSON.stringify(TYPED_ARRAY_NAMES)}) {
  if (typeof g[name] === 'function') typedCtors[name] = g[name];
}
const lock = (o, key, value) => defineProperty(o, key, { __proto__: null, value, writable: false, enumerable: false, configurable: false });
const hide = (o, key, value) => defineProperty(o, key, { __proto__: null, value, writable: true, enumerable: false, configurable: true });
`;
