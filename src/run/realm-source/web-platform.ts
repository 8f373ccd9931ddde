/**
 * Realm source: `performance` (`now()`, `timeOrigin`, `toJSON()`) and `crypto` (`getRandomValues`,
 * `randomUUID`; no `subtle`). Both ask the host for primitives only: the time since the realm was
 * adopted (`HostOp.Now`, coarsened to 100 µs by run/web-host.ts, as a browser coarsens it for a
 * page without cross-origin isolation), its start in epoch ms (`HostOp.TimeOrigin`), random bytes
 * as a string of latin1 characters (`HostOp.Random`, at most 65,536 of them, as the spec allows per
 * call), and a UUID string (`HostOp.RandomUUID`). The bytes are copied here into the user's array.
 *
 * In scope: web-base.ts, apply, callHost, ObjectPrototype, ObjectCreate, TypeErrorCtor, hide.
 * Defines: the makers of performance and crypto.
 */
import { HostOp } from '../../realm-protocol.js';

/** The most bytes one `crypto.getRandomValues` call fills (the Web Crypto API's limit). */
export const MAX_RANDOM_BYTES = 65_536;

export const WEB_PLATFORM_SOURCE = String.raw`
let performanceObject, cryptoObject;
webMakers.performance = () => {
  if (performanceObject !== undefined) return performanceObject;
  const o = ObjectCreate(ObjectPrototype);
  const methods = {
    now() { return callHost(${HostOp.Now}); },
    toJSON() { return { timeOrigin: callHost(${HostOp.TimeOrigin}) }; },
  };
  hide(o, 'now', methods.now);
  hide(o, 'toJSON', methods.toJSON);
  defineProperty(o, 'timeOrigin', { __proto__: null, get: getterOf({ get timeOrigin() { return callHost(${HostOp.TimeOrigin}); } }, 'timeOrigin'), enumerable: true, configurable: true });
  defineProperty(o, SymbolToStringTag, { __proto__: null, value: 'Performance', writable: false, enumerable: false, configurable: true });
  return (performanceObject = o);
};
webMakers.crypto = () => {
  if (cryptoObject !== undefined) return cryptoObject;
  const integer = { __proto__: null, Int8Array: 1, Uint8Array: 1, Uint8ClampedArray: 1, Int16Array: 1, Uint16Array: 1, Int32Array: 1,
    Uint32Array: 1, BigInt64Array: 1, BigUint64Array: 1 };
  const o = ObjectCreate(ObjectPrototype);
  const methods = {
    getRandomValues(array) {
      if (arguments.length < 1) throw new TypeErrorCtor('crypto.getRandomValues: 1 argument required, but only 0 present');
      const tag = isObject(array) ? apply(viewTag, array, []) : undefined;
      if (tag === undefined || integer[tag] !== 1) throw domError('The data argument must be an integer-type TypedArray', 'TypeMismatchError');
      const size = apply(viewBytes, array, []);
      if (size > ${MAX_RANDOM_BYTES}) throw domError('The requested length exceeds ${MAX_RANDOM_BYTES} bytes', 'QuotaExceededError');
      const random = callHost(${HostOp.Random}, size);
      if (typeof random !== 'string' || random.length !== size) throw domError('No random bytes are available', 'OperationError');
      const bytes = new NativeUint8Array(apply(viewBuffer, array, []), apply(viewOffset, array, []), size);
      for (let i = 0; i < size; i++) bytes[i] = charCodeAt(random, i);
      return array;
    },
    randomUUID() {
      const uuid = callHost(${HostOp.RandomUUID});
      if (typeof uuid !== 'string') throw domError('No random bytes are available', 'OperationError');
      return uuid;
    },
  };
  hide(o, 'getRandomValues', methods.getRandomValues);
  hide(o, 'randomUUID', methods.randomUUID);
  defineProperty(o, SymbolToStringTag, { __proto__: null, value: 'Crypto', writable: false, enumerable: false, configurable: true });
  return (cryptoObject = o);
};
`;
