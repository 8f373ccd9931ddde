/**
 * Realm source, for sandboxes with a memory limit: ArrayBuffer
 * memory lives outside the V8 heap, so Node's `resourceLimits` do not see it, and a check between
 * turns comes after one turn has filled as much as it could. Every way sandbox code can allocate
 * such memory is wrapped here to count the bytes a turn allocates; past the limit the allocation
 * is refused (a RangeError, as when the engine itself runs out) and the host is told, which ends
 * the sandbox with a MemoryLimitError. What was allocated in earlier turns and is still alive is
 * the host's check between turns (worker-main.ts).
 *
 * Covered: the ArrayBuffer and typed array constructors (also as reached through `constructor`,
 * species, `from`/`of` and subclasses), ArrayBuffer `slice`/`resize`/`transfer`, and the typed
 * array methods that copy without species (`toReversed`, `toSorted`, `with`). The native
 * constructors stay reachable only inside this closure.
 *
 * In scope: g, R, apply, defineProperty, getPrototypeOf, getOwnPropertyDescriptor,
 * RangeErrorCtor, callHost, hide, ALLOCATION_CAP (bytes per turn; 0: no limit).
 * Defines: allocated (bytes this turn; the kit's `setInTurn` resets it).
 */
import { TYPED_ARRAY_NAMES } from '../../constants.js';
import { HostOp } from '../../realm-protocol.js';

export const ALLOCATION_CAP_SOURCE = String.raw`
let allocated = 0;
if (ALLOCATION_CAP > 0) {
  const construct = R.construct, ownKeys = R.ownKeys, setPrototypeOf = R.setPrototypeOf;
  const NativeArrayBuffer = g.ArrayBuffer;
  const bufferBytes = getOwnPropertyDescriptor(NativeArrayBuffer.prototype, 'byteLength').get;
  const TypedArray = getPrototypeOf(g.Uint8Array);
  const viewBytes = getOwnPropertyDescriptor(TypedArray.prototype, 'byteLength').get;
  const isBuffer = (v) => { try { apply(bufferBytes, v, []); return true; } catch { return false; } };
  let told = false;
  const take = (bytes) => {
    const n = +bytes;
    // Not a size the engine accepts at all (it throws its own RangeError): nothing to count.
    if (!(n > 0) || n > 9007199254740991) return;
    allocated += n;
    if (allocated <= ALLOCATION_CAP) return;
    if (!told) { told = true; callHost(${HostOp.Memory}); }
    throw new RangeErrorCtor('Array buffer allocation failed: the sandbox memory limit is reached');
  };
  // A wrapper constructor standing in for a native one everywhere sandbox code can find it.
  const wrap = (Native, measure) => {
    const Wrapper = { [Native.name]: function (...args) {
      if (new.target === undefined) return apply(Native, this, args);
      const before = measure.before ? measure.before(args) : 0;
      take(before);
      const made = construct(Native, args, new.target);
      if (measure.after) take(measure.after(made, args));
      return made;
    } }[Native.name];
    for (const key of ownKeys(Native)) {
      if (key === 'prototype' || key === 'length' || key === 'name') continue;
      defineProperty(Wrapper, key, getOwnPropertyDescriptor(Native, key));
    }
    defineProperty(Wrapper, 'length', getOwnPropertyDescriptor(Native, 'length'));
    defineProperty(Wrapper, 'prototype', { __proto__: null, value: Native.prototype, writable: false, enumerable: false, configurable: false });
    setPrototypeOf(Wrapper, getPrototypeOf(Native));
    defineProperty(Native.prototype, 'constructor', { __proto__: null, value: Wrapper, writable: true, enumerable: false, configurable: true });
    hide(g, Native.name, Wrapper);
    return Wrapper;
  };
  // A primitive size is converted once, here: a valueOf read twice could say 0, then 2 GB.
  const sizeOnce = (args) => {
    if (args.length > 0 && (args[0] === null || (typeof args[0] !== 'object' && typeof args[0] !== 'function'))) args[0] = +args[0];
  };
  wrap(NativeArrayBuffer, { before: (args) => { if (args.length > 0) args[0] = +args[0]; return args[0]; } });
  const typedNames = ${JSON.stringify(TYPED_ARRAY_NAMES)};
  for (let i = 0; i < typedNames.length; i++) {
    const Native = g[typedNames[i]];
    if (typeof Native !== 'function') continue;
    const size = Native.BYTES_PER_ELEMENT;
    wrap(Native, {
      // A length is known before allocating; a view over a buffer allocates nothing; anything else
      // (an array, an iterable, another typed array) is counted by what it made.
      before: (args) => { sizeOnce(args); return typeof args[0] === 'number' ? args[0] * size : 0; },
      after: (made, args) => (typeof args[0] === 'number' || isBuffer(args[0]) ? 0 : apply(viewBytes, made, [])),
    });
  }
  const guardMethod = (proto, name, bytes) => {
    const native = proto[name];
    if (typeof native !== 'function') return;
    hide(proto, name, { [name](...args) { take(bytes(this, args)); return apply(native, this, args); } }[name]);
  };
  const sameSize = (self) => apply(viewBytes, self, []);
  guardMethod(TypedArray.prototype, 'toReversed', sameSize);
  guardMethod(TypedArray.prototype, 'toSorted', sameSize);
  guardMethod(TypedArray.prototype, 'with', sameSize);
  guardMethod(NativeArrayBuffer.prototype, 'resize', (self, args) => +args[0] - apply(bufferBytes, self, []));
  guardMethod(NativeArrayBuffer.prototype, 'transfer', (self, args) => (args[0] === undefined ? 0 : +args[0]));
  guardMethod(NativeArrayBuffer.prototype, 'transferToFixedLength', (self, args) => (args[0] === undefined ? 0 : +args[0]));
}
`;
