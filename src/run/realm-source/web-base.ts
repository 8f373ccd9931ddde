/**
 * Realm source: what the web globals (web-*.ts) share, and their installation. They are made in
 * the realm, by this bootstrap, so their classes, prototypes, results and errors are the realm's
 * own; the host only answers narrow questions with primitives (a URL's parts, random bytes, the
 * clock) through the host entry.
 *
 * Installed lazily: each name of WEB_GLOBAL_NAMES is a configurable accessor on the global that,
 * on first read, makes its group once (`webMakers[name]`) and becomes the data property a plain
 * global is (writable, configurable, not enumerable); written first, it just becomes that data
 * property. A realm that never touches them pays for a few accessors, not for a dozen classes.
 *
 * Everything the web code calls is captured here, at bootstrap, before any user code runs: a
 * group is made later, inside some turn, when user code may have changed any prototype. The
 * constructors that allocate what sandbox code receives are taken from the global after
 * memory-cap.ts, so those allocations are counted like the user's own.
 *
 * In scope: g, R, apply, defineProperty, getPrototypeOf, getOwnPropertyDescriptor, ObjectCreate,
 * StringCtor, ArrayCtor, ArrayBufferCtor, ErrorCtor, TypeErrorCtor, typedCtors, FunctionPrototype,
 * DateNow, exhausted, EXHAUSTED, meterDeadline, hide.
 * Defines: the captured intrinsics below, charge, toStr, usv, uncurry, nullList, isObject, bytesOf,
 * isArrayBuffer, domError, domException, webMakers.
 */
import { WEB_GLOBAL_NAMES } from '../../constants.js';

/** Units of work between two reads of the clock in the web globals' own loops (a unit: a character, a byte, a value). */
export const WORK_SLICE = 4096;

export const WEB_BASE_SOURCE = String.raw`
// uncurry(f)(self, ...args) is f.call(self, ...args), with no lookup on self.
const uncurry = apply(FunctionPrototype.bind, FunctionPrototype.bind, [FunctionPrototype.call]);
const StringProto = StringCtor.prototype;
const charCodeAt = uncurry(StringProto.charCodeAt), stringSlice = uncurry(StringProto.slice),
  toWellFormed = uncurry(StringProto.toWellFormed), toLowerCase = uncurry(StringProto.toLowerCase),
  StringFromCharCode = StringCtor.fromCharCode;
const ObjectCtor = Object, ArrayIsArray = ArrayCtor.isArray, ArraySort = ArrayCtor.prototype.sort, ownKeys = R.ownKeys,
  setPrototypeOf = R.setPrototypeOf, SymbolIterator = Symbol.iterator, SymbolToStringTag = Symbol.toStringTag;
const getterOf = (o, key) => { const d = getOwnPropertyDescriptor(o, key); return d === undefined ? undefined : d.get; };
const TypedArrayProto = getPrototypeOf(typedCtors.Uint8Array.prototype);
const viewBuffer = getterOf(TypedArrayProto, 'buffer'), viewOffset = getterOf(TypedArrayProto, 'byteOffset'),
  viewBytes = getterOf(TypedArrayProto, 'byteLength'), viewLength = getterOf(TypedArrayProto, 'length'),
  viewTag = getterOf(TypedArrayProto, SymbolToStringTag), TypedArraySet = TypedArrayProto.set;
const bufferBytes = getterOf(ArrayBufferCtor.prototype, 'byteLength'), isView = ArrayBufferCtor.isView,
  bufferResizable = getterOf(ArrayBufferCtor.prototype, 'resizable'), bufferMaxBytes = getterOf(ArrayBufferCtor.prototype, 'maxByteLength'),
  bufferTransfer = ArrayBufferCtor.prototype.transfer;
const DataViewCtor = g.DataView, dataViewBuffer = getterOf(DataViewCtor.prototype, 'buffer'),
  dataViewOffset = getterOf(DataViewCtor.prototype, 'byteOffset'), dataViewBytes = getterOf(DataViewCtor.prototype, 'byteLength');
const NativeUint8Array = typedCtors.Uint8Array, NativeUint16Array = typedCtors.Uint16Array;
const CountedArrayBuffer = g.ArrayBuffer, countedTyped = ObjectCreate(null);
for (const name in typedCtors) countedTyped[name] = g[name];
const CountedUint8Array = countedTyped.Uint8Array;

// The web globals' loops run as long as their input is (a string to encode, a graph to clone) and
// contain no metered code: they read metered code's clock every WORK_SLICE units, so a turn
// without a watchdog ends on time in them too (a watched turn is ended by its watchdog anyway).
let workLeft = ${WORK_SLICE};
function charge(units) {
  workLeft -= units;
  if (workLeft > 0) return;
  workLeft = ${WORK_SLICE};
  if (exhausted || DateNow() > meterDeadline) { exhausted = true; throw EXHAUSTED; }
}
// An array with no prototype: appending to it meets no setter a user put on Array.prototype.
const nullList = () => { const list = []; setPrototypeOf(list, null); return list; };
const isObject = (v) => v !== null && (typeof v === 'object' || typeof v === 'function');
// Web IDL's DOMString: ToString, which refuses symbols (String() would describe them).
const toStr = (v) => {
  if (typeof v === 'string') return v;
  if (typeof v === 'symbol') throw new TypeErrorCtor('Cannot convert a Symbol value to a string');
  return StringCtor(v);
};
// USVString: lone surrogates become U+FFFD.
const usv = (v) => toWellFormed(toStr(v));
const isArrayBuffer = (v) => { try { apply(bufferBytes, v, []); return true; } catch { return false; } };
// A BufferSource's bytes, as a view on the same memory (no copy).
function bytesOf(input, what) {
  if (isObject(input)) {
    if (apply(viewTag, input, []) !== undefined) return new NativeUint8Array(apply(viewBuffer, input, []), apply(viewOffset, input, []), apply(viewBytes, input, []));
    if (isView(input)) return new NativeUint8Array(apply(dataViewBuffer, input, []), apply(dataViewOffset, input, []), apply(dataViewBytes, input, []));
    if (isArrayBuffer(input)) return new NativeUint8Array(input);
  }
  throw new TypeErrorCtor(what + ': the input must be an ArrayBuffer, a TypedArray or a DataView');
}
const lockData = (o, key, value) => defineProperty(o, key, { __proto__: null, value, writable: false, enumerable: true, configurable: false });
const tagClass = (C, tag) => defineProperty(C.prototype, SymbolToStringTag, { __proto__: null, value: tag, writable: false, enumerable: false, configurable: true });

const webMakers = ObjectCreate(null);
let DOMExceptionClass;
function domException() {
  if (DOMExceptionClass !== undefined) return DOMExceptionClass;
  const legacy = ['INDEX_SIZE_ERR', 'DOMSTRING_SIZE_ERR', 'HIERARCHY_REQUEST_ERR', 'WRONG_DOCUMENT_ERR', 'INVALID_CHARACTER_ERR',
    'NO_DATA_ALLOWED_ERR', 'NO_MODIFICATION_ALLOWED_ERR', 'NOT_FOUND_ERR', 'NOT_SUPPORTED_ERR', 'INUSE_ATTRIBUTE_ERR',
    'INVALID_STATE_ERR', 'SYNTAX_ERR', 'INVALID_MODIFICATION_ERR', 'NAMESPACE_ERR', 'INVALID_ACCESS_ERR', 'VALIDATION_ERR',
    'TYPE_MISMATCH_ERR', 'SECURITY_ERR', 'NETWORK_ERR', 'ABORT_ERR', 'URL_MISMATCH_ERR', 'QUOTA_EXCEEDED_ERR', 'TIMEOUT_ERR',
    'INVALID_NODE_TYPE_ERR', 'DATA_CLONE_ERR'];
  const codes = { __proto__: null, IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5,
    NoModificationAllowedError: 7, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11, SyntaxError: 12,
    InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15, TypeMismatchError: 17, SecurityError: 18,
    NetworkError: 19, AbortError: 20, URLMismatchError: 21, QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24,
    DataCloneError: 25 };
  class DOMException extends ErrorCtor {
    #name;
    constructor(message = '', options = 'Error') {
      super(toStr(message));
      let name = 'Error';
      if (isObject(options)) {
        const n = options.name;
        if (n !== undefined) name = toStr(n);
        if ('cause' in options) defineProperty(this, 'cause', { __proto__: null, value: options.cause, writable: true, enumerable: false, configurable: true });
      } else if (options !== undefined) name = toStr(options);
      this.#name = name;
      // An own data property (the platform's is a getter): the membrane and the host read names from data only.
      defineProperty(this, 'name', { __proto__: null, value: name, writable: true, enumerable: false, configurable: true });
    }
    get code() { const code = codes[this.#name]; return code === undefined ? 0 : code; }
  }
  for (let i = 0; i < legacy.length; i++) { lockData(DOMException, legacy[i], i + 1); lockData(DOMException.prototype, legacy[i], i + 1); }
  tagClass(DOMException, 'DOMException');
  return (DOMExceptionClass = DOMException);
}
const domError = (message, name) => new (domException())(message, name);
webMakers.DOMException = domException;

{
  const names = ${JSON.stringify(WEB_GLOBAL_NAMES)};
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    defineProperty(g, name, {
      get() { const value = webMakers[name](); hide(g, name, value); return value; },
      set(value) { hide(g, name, value); },
      enumerable: false,
      configurable: true,
    });
  }
}
`;
