/**
 * Realm source: `structuredClone`, realm values to realm values, written here. Cloned: primitives
 * (not symbols), arrays and plain objects (own enumerable string keys, read with [[Get]] as the
 * HTML Standard does, so getters run as the user's code; other objects become plain ones, as
 * there), Boolean/Number/String/BigInt wrappers, Date, RegExp, Map, Set, ArrayBuffer (resizable
 * kept), typed arrays and DataView (views of one buffer share its clone), and errors (name among
 * the standard ones, message, stack, cause). Cycles and shared references are kept. Functions,
 * symbols, WeakMap and WeakSet throw a DOMException named DataCloneError. A Proxy is cloned as the
 * object it pretends to be (its traps run) where a browser refuses it: the realm cannot tell one.
 *
 * Bounded: at most MAX_CLONE_VALUES values per call (a DataCloneError past it) and every value
 * charged (web-base.ts). It works from a queue, not by recursion, so depth costs no stack.
 * `transfer` copies, then detaches the listed buffers (ArrayBuffer.prototype.transfer; on an
 * engine without it, a listed buffer is a DataCloneError).
 *
 * In scope: web-base.ts, apply, MapCtor, MapGet, MapSet, MapHas, SetCtor, SetAdd, DateCtor,
 * RegExpCtor, WeakMapCtor, WeakSetHas, NumberCtor, errorCtors, TypeErrorCtor, hide.
 * Defines: the maker of structuredClone.
 */
import { MAX_CLONE_VALUES } from '../../constants.js';

export const WEB_CLONE_SOURCE = String.raw`
const DateGetTime = DateCtor.prototype.getTime, RegExpProto = RegExpCtor.prototype,
  regexpSource = getterOf(RegExpProto, 'source'), MapSize = getterOf(MapCtor.prototype, 'size'), SetSize = getterOf(SetCtor.prototype, 'size'),
  MapForEach = MapCtor.prototype.forEach, SetForEach = SetCtor.prototype.forEach, WeakMapHas = WeakMapCtor.prototype.has,
  ErrorIsError = ErrorCtor.isError, ErrorPrototype = ErrorCtor.prototype;
const wrapperValueOf = [Boolean.prototype.valueOf, NumberCtor.prototype.valueOf, StringCtor.prototype.valueOf, typeof BigInt === 'function' ? BigInt.prototype.valueOf : undefined];
setPrototypeOf(wrapperValueOf, null);

let structuredCloneFunction;
function makeClone() {
  if (structuredCloneFunction !== undefined) return structuredCloneFunction;
  const cloneError = (message) => domError(message, 'DataCloneError');
  const brand = (fn, v, args) => { try { apply(fn, v, args); return true; } catch { return false; } };
  const isError = (v) => {
    if (typeof ErrorIsError === 'function') return ErrorIsError(v);
    for (let p = getPrototypeOf(v), i = 0; p !== null && i < 1000; p = getPrototypeOf(p), i++) if (p === ErrorPrototype) return true;
    return false;
  };
  const OBJECT = 0, MAP = 1, SET = 2, ERROR = 3;
  structuredCloneFunction = { structuredClone(value, options = undefined) {
    if (arguments.length < 1) throw new TypeErrorCtor('structuredClone: 1 argument required, but only 0 present');
    const transfer = nullList();
    if (options !== undefined && options !== null) {
      if (!isObject(options)) throw new TypeErrorCtor('structuredClone: options must be an object');
      const list = options.transfer;
      if (list !== undefined) {
        for (const item of list) {
          charge(1);
          if (!isArrayBuffer(item)) throw cloneError('Value not transferable');
          for (let i = 0; i < transfer.length; i++) if (transfer[i] === item) throw cloneError('An ArrayBuffer is listed more than once in the transfer list');
          if (typeof bufferTransfer !== 'function') throw cloneError('Transferring an ArrayBuffer needs ArrayBuffer.prototype.transfer, which this engine lacks');
          transfer[transfer.length] = item;
        }
      }
    }
    const memory = new MapCtor();
    const queue = nullList();   // [kind, source, target] triples, filled in order
    let count = 0;
    const later = (kind, source, target) => { queue[queue.length] = kind; queue[queue.length] = source; queue[queue.length] = target; return target; };
    const copyBuffer = (v) => {
      const length = apply(bufferBytes, v, []);
      const out = bufferResizable !== undefined && apply(bufferResizable, v, [])
        ? new CountedArrayBuffer(length, { maxByteLength: apply(bufferMaxBytes, v, []) })
        : new CountedArrayBuffer(length);
      apply(TypedArraySet, new NativeUint8Array(out), [new NativeUint8Array(v, 0, length)]);
      return out;
    };
    const copy = (v) => {
      charge(1);
      if (++count > ${MAX_CLONE_VALUES}) throw cloneError('structuredClone: more than ${MAX_CLONE_VALUES} values in the sandbox');
      if (typeof v === 'symbol') throw cloneError('Symbol could not be cloned.');
      if (!isObject(v)) return v;
      if (apply(MapHas, memory, [v])) return apply(MapGet, memory, [v]);
      if (typeof v === 'function') throw cloneError('A function could not be cloned.');
      const out = make(v);
      apply(MapSet, memory, [v, out]);
      return out;
    };
    const make = (v) => {
      if (ArrayIsArray(v)) return later(OBJECT, v, new ArrayCtor(+v.length));
      const proto = getPrototypeOf(v);
      if (proto === ObjectPrototype || proto === null) return later(OBJECT, v, {});
      if (brand(DateGetTime, v, [])) return new DateCtor(apply(DateGetTime, v, []));
      // The source and flags come from the regexp's internal slots (a RegExp given a RegExp reads them there).
      if (brand(regexpSource, v, [])) return new RegExpCtor(v);
      if (isArrayBuffer(v)) return copyBuffer(v);
      if (isView(v)) {
        const tag = apply(viewTag, v, []);
        if (tag !== undefined) return new countedTyped[tag](copy(apply(viewBuffer, v, [])), apply(viewOffset, v, []), apply(viewLength, v, []));
        return new DataViewCtor(copy(apply(dataViewBuffer, v, [])), apply(dataViewOffset, v, []), apply(dataViewBytes, v, []));
      }
      if (brand(MapSize, v, [])) return later(MAP, v, new MapCtor());
      if (brand(SetSize, v, [])) return later(SET, v, new SetCtor());
      if (isError(v)) {
        const named = v.name;
        const name = named === 'EvalError' || named === 'RangeError' || named === 'ReferenceError' || named === 'SyntaxError' || named === 'TypeError' || named === 'URIError' ? named : 'Error';
        const out = getOwnPropertyDescriptor(v, 'message') === undefined ? new errorCtors[name]() : new errorCtors[name](toStr(v.message));
        return later(ERROR, v, out);
      }
      for (let i = 0; i < wrapperValueOf.length; i++) {
        const valueOf = wrapperValueOf[i];
        if (valueOf !== undefined && brand(valueOf, v, [])) return ObjectCtor(apply(valueOf, v, []));
      }
      if (brand(WeakMapHas, v, [ObjectPrototype]) || brand(WeakSetHas, v, [ObjectPrototype])) throw cloneError('#<Object> could not be cloned.');
      return later(OBJECT, v, {});
    };
    const define = (o, key, v) => defineProperty(o, key, { __proto__: null, value: v, writable: true, enumerable: true, configurable: true });
    const result = copy(value);
    for (let q = 0; q < queue.length; q += 3) {
      const kind = queue[q], source = queue[q + 1], target = queue[q + 2];
      if (kind === OBJECT) {
        const keys = ownKeys(source);
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i];
          if (typeof key !== 'string') continue;
          const d = getOwnPropertyDescriptor(source, key);
          if (d !== undefined && d.enumerable) define(target, key, copy(source[key]));
        }
      } else if (kind === MAP) {
        const entries = nullList();
        apply(MapForEach, source, [(v, k) => { charge(1); entries[entries.length] = k; entries[entries.length] = v; }]);
        for (let i = 0; i < entries.length; i += 2) apply(MapSet, target, [copy(entries[i]), copy(entries[i + 1])]);
      } else if (kind === SET) {
        const values = nullList();
        apply(SetForEach, source, [(v) => { charge(1); values[values.length] = v; }]);
        for (let i = 0; i < values.length; i++) apply(SetAdd, target, [copy(values[i])]);
      } else {
        const stack = source.stack;
        if (typeof stack === 'string') hide(target, 'stack', stack);
        if (getOwnPropertyDescriptor(source, 'cause') !== undefined) hide(target, 'cause', copy(source.cause));
      }
    }
    for (let i = 0; i < transfer.length; i++) apply(bufferTransfer, transfer[i], []);
    return result;
  } }.structuredClone;
  return structuredCloneFunction;
}
webMakers.structuredClone = makeClone;
`;
