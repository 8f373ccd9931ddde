/**
 * Realm source, last fragment: the kit, what the bootstrap returns to the host (typed as `Kit` in
 * run/realm.ts). Kit functions the host may call outside a turn run no user code: they only
 * create fresh objects and define own data properties. Bridges are the one kind of function the
 * membrane hands the sandbox for a host function: each closes over a number, never over the host
 * function, and calls the host entry with it.
 *
 * In scope: nearly everything before it (intrinsics, FAIL, stashed, takeStashed, callHost, turn,
 * inTurn, allocated, modules, framesOf, captureStackTrace, typedCtors, errorCtors, hide, registerCommonJS,
 * registerCommonJSValue, commonjsLoader).
 */
import { HostOp } from '../../realm-protocol.js';

export const KIT_SOURCE = String.raw`
// A null-prototype literal: V8 builds it as a dictionary in one step, where an ordinary literal
// makes this fresh realm create one hidden class per property (~20 µs of every new sandbox). And
// a name the host misspells finds nothing, not something of the sandbox's Object.prototype.
return ObjectFreeze({
  __proto__: null,
  FAIL,
  turn,
  ObjectPrototype,
  fail(e) { stashed = e; return FAIL; },
  setInTurn(v, meterMs) { inTurn = v; if (v) { allocated = 0; armMeter(meterMs); } },
  expired() { return exhausted; },
  expire() { exhausted = true; },
  runRegex,
  regexUsed() { const used = regexUsed; regexUsed = false; return used; },
  enableBigInt: restoreBigInt,
  // The user's frames of the current stack ("url\tline\tcol\tfn\n" rows, columns in the original
  // source), e.g. to say where an import() call is. Runs no user code: the holder has no prototype,
  // so header() reads no getter, and prepareStackTrace is the locked one of tame-stack.
  callerFrames() {
    const holder = ObjectCreate(null);
    try {
      apply(captureStackTrace, ErrorCtor, [holder]);
      const text = holder.stack;
      return typeof text === 'string' ? apply(WeakMapGet, framesOf, [holder]) || '' : '';
    } catch { return ''; }
  },
  prepare(kind, a, b, c) { job = kind; jobA = a; jobB = b; jobC = c; },
  // Kept as text (see originalColumn): called by the host outside any turn, so it calls nothing
  // whose behaviour sandbox code can change.
  registerModule(url, edits) { apply(MapSet, modules, [url, typeof edits === 'string' ? edits : '']); },
  installProcess,
  installGlobalDetection,
  registerCommonJS,
  registerCommonJSValue,
  commonjsLoader,
  object(nullProto) { return nullProto ? ObjectCreate(null) : {}; },
  array() { return []; },
  arrayOf(values) { return apply(ArrayOf, ArrayCtor, values); },
  date(ms) { return new DateCtor(ms); },
  regexp(source, flags) { return new RegExpCtor(source, flags); },
  map() { return new MapCtor(); },
  mapSet(m, k, v) { apply(MapSet, m, [k, v]); },
  set() { return new SetCtor(); },
  setAdd(s, v) { apply(SetAdd, s, [v]); },
  arrayBuffer(length) { return new ArrayBufferCtor(length); },
  typed(tag, buffer, byteOffset, length) { const C = typedCtors[tag]; return C ? new C(buffer, byteOffset, length) : undefined; },
  // base: the constructor to use when it is not the one \`name\` names (a TypeError named ResolveError).
  error(name, message, base) { const C = errorCtors[base || name] || ErrorCtor; const e = new C(message); if (errorCtors[name] !== C) hide(e, 'name', name); return e; },
  bridge(id, name, length) {
    const fn = { [name](...args) {
      const r = callHost(${HostOp.Call}, id, args);
      if (r === FAIL) throw takeStashed();
      return r;
    } }[name];
    defineProperty(fn, 'length', { __proto__: null, value: length, writable: false, enumerable: false, configurable: true });
    return fn;
  },
  deferred() {
    const d = ObjectCreate(null);
    d.promise = new PromiseCtor((resolve, reject) => { d.resolve = resolve; d.reject = reject; });
    return d;
  },
});
`;
