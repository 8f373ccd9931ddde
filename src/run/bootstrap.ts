/**
 * The sandbox-side half of a realm. This source runs once in every new context, before any
 * user code, and returns the kit the host uses to build values and enter turns.
 *
 * Rules this code keeps (it runs in the realm the user controls afterwards):
 * - it captures every intrinsic it needs up front and calls them with `apply`, so later
 *   changes to prototypes by user code do not reach it;
 * - kit functions the host may call outside a turn run no user code: they only create
 *   fresh objects and define own data properties;
 * - anything that can run user code (calls, thenables, getters) runs inside `turn()`;
 * - no host object is ever stored where user code can reach it: the host entry lives only
 *   in this closure, and its results are sandbox values built by the host through the kit.
 *
 * It is kept as source text (not a compiled function's `toString()`) so that no test
 * transform or coverage tool can inject references to host helpers into it.
 */

import { GUARD_NAME, TURN_NAME, TYPED_ARRAY_NAMES } from '../constants.js';
import { ALLOCATION_CAP_SOURCE, MEMORY_HOST_OP } from './bootstrap-memory.js';

/** Operations the sandbox asks of the host through the single host entry. */
export const HostOp = { Call: 1, TimerSet: 2, TimerClear: 3, Console: 4, Settled: 5, Result: 6, Memory: MEMORY_HOST_OP } as const;

/** Work the host asks the sandbox to do inside a turn. */
export const Job = { None: 0, Call: 1, Timer: 2, Settle: 3, Observe: 4, Rethrow: 5 } as const;
export type JobKind = (typeof Job)[keyof typeof Job];

/** Levels of the sandbox's `console`, passed to the bootstrap as one string. */
export const CONSOLE_LEVELS = ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'table'] as const;
export type ConsoleLevel = (typeof CONSOLE_LEVELS)[number];

export const BOOTSTRAP_FILENAME = 'esm-sandbox:realm';

export const BOOTSTRAP_SOURCE = String.raw`(function bootstrap(host, consoleLevels, ALLOCATION_CAP) {
'use strict';
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
const StringCtor = String, NumberCtor = Number;
const StringSplit = String.prototype.split, ArrayPush = Array.prototype.push;
const errorCtors = ObjectCreate(null);
errorCtors.Error = Error; errorCtors.TypeError = TypeError; errorCtors.RangeError = RangeError;
errorCtors.SyntaxError = SyntaxError; errorCtors.ReferenceError = ReferenceError;
errorCtors.EvalError = EvalError; errorCtors.URIError = URIError;
const ErrorCtor = Error, TypeErrorCtor = TypeError, RangeErrorCtor = RangeError;
const typedCtors = ObjectCreate(null);
for (const name of ${JSON.stringify(TYPED_ARRAY_NAMES)}) {
  if (typeof g[name] === 'function') typedCtors[name] = g[name];
}
const lock = (o, key, value) => defineProperty(o, key, { value, writable: false, enumerable: false, configurable: false });
const hide = (o, key, value) => defineProperty(o, key, { value, writable: true, enumerable: false, configurable: true });

// ---- host entry --------------------------------------------------------------------------
// The host entry never throws on purpose. If calling it overflows the stack, the RangeError is
// born in the host realm: drop it unseen and raise one of ours.
function callHost(op, a, b, c, d) {
  try { return host(op, a, b, c, d); } catch { throw new RangeErrorCtor('Maximum call stack size exceeded'); }
}
const FAIL = ObjectFreeze(ObjectCreate(null));
let stashed;
function takeStashed() { const e = stashed; stashed = undefined; return e; }

// ---- realm check and the guard -----------------------------------------------------------
// A value from another realm has a prototype chain that ends somewhere other than this
// realm's Object.prototype (a null-prototype object of our own ends at itself).
function isForeign(v) {
  let p = v;
  for (let i = 0; i < 10000; i++) {
    const next = getPrototypeOf(p);
    if (next === null) return p !== ObjectPrototype && p !== v;
    p = next;
  }
  return true;
}
function localCopy(e) {
  let name = 'Error', message = '';
  try {
    for (let p = e, i = 0; p !== null && i < 100; p = getPrototypeOf(p), i++) {
      const d = getOwnPropertyDescriptor(p, 'name');
      if (d && 'value' in d) { if (typeof d.value === 'string') name = d.value; break; }
    }
    const m = getOwnPropertyDescriptor(e, 'message');
    if (m && typeof m.value === 'string') message = m.value;
  } catch {}
  const Ctor = errorCtors[name] || ErrorCtor;
  return new Ctor(message);
}
const containerKeys = ['error', 'suppressed', 'cause'];
// Catch clauses and rejection handlers see values through this. Host-realm values (errors
// raised by host code while formatting a stack, or at a stack overflow in a host frame) are
// replaced by equivalents of this realm; errors built natively around them are scrubbed.
function guard(e) {
  if (e === null || (typeof e !== 'object' && typeof e !== 'function')) return e;
  try {
    if (isForeign(e)) return localCopy(e);
    for (let i = 0; i < containerKeys.length; i++) {
      const d = getOwnPropertyDescriptor(e, containerKeys[i]);
      if (d && 'value' in d && d.value !== null && typeof d.value === 'object' && isForeign(d.value)) {
        defineProperty(e, containerKeys[i], { value: localCopy(d.value), writable: true, enumerable: false, configurable: true });
      }
    }
    const errs = getOwnPropertyDescriptor(e, 'errors');
    if (errs && 'value' in errs && ArrayCtor.isArray(errs.value)) {
      const list = errs.value;
      for (let i = 0; i < list.length; i++) {
        const item = list[i];
        if (item !== null && typeof item === 'object' && isForeign(item)) list[i] = localCopy(item);
      }
    }
  } catch {
    return new RangeErrorCtor('Maximum call stack size exceeded');
  }
  return e;
}
const then = { then(onFulfilled, onRejected) {
  if (typeof onRejected === 'function') { const handler = onRejected; onRejected = (e) => handler(guard(e)); }
  return apply(PromiseThen, this, [onFulfilled, onRejected]);
} }.then;
lock(PromiseCtor.prototype, 'then', then);

// ---- stack traces ------------------------------------------------------------------------
let inTurn = false;
const modules = new MapCtor();          // url -> Map(line -> [origColumn0, length, ...])
const framesOf = new WeakMapCtor();      // error -> "url\tline\tcol\tfn\tprefix\n..."
let CallSite;
{
  const saved = ErrorCtor.prepareStackTrace;
  ErrorCtor.prepareStackTrace = (_, sites) => sites;
  const sites = new ErrorCtor().stack;
  ErrorCtor.prepareStackTrace = saved;
  CallSite = getPrototypeOf(sites[0]);
}
// Captured now: user code may replace Error.captureStackTrace later.
const captureStackTrace = ErrorCtor.captureStackTrace;
const siteFile = CallSite.getScriptNameOrSourceURL || CallSite.getFileName, siteLine = CallSite.getLineNumber,
  siteColumn = CallSite.getColumnNumber, siteFunction = CallSite.getFunctionName,
  siteAsync = CallSite.isAsync, siteConstructor = CallSite.isConstructor;
function originalColumn(url, line, column0) {
  const lines = apply(MapGet, modules, [url]);
  const edits = lines && apply(MapGet, lines, [line]);
  if (!edits) return column0;
  let shift = 0;
  for (let i = 0; i < edits.length; i += 2) {
    const start = edits[i] + shift, len = edits[i + 1];
    if (column0 >= start + len) shift += len;
    else if (column0 >= start) return edits[i];
    else break;
  }
  return column0 - shift;
}
function header(error) {
  // Outside a turn nothing of the user's may run: no getters, no proxies' traps.
  if (!inTurn) return 'Error';
  let name = 'Error', message = '';
  try { const n = error.name; if (typeof n === 'string') name = n; } catch {}
  try { const m = error.message; if (typeof m === 'string') message = m; } catch {}
  return message === '' ? name : name + ': ' + message;
}
function prepareStackTrace(error, sites) {
  let text = header(error), frames = '';
  for (let i = 0; i < sites.length; i++) {
    try {
      const site = sites[i];
      const url = apply(siteFile, site, []);
      if (typeof url !== 'string' || !apply(MapHas, modules, [url])) continue;
      const line = apply(siteLine, site, []);
      const column = originalColumn(url, line, apply(siteColumn, site, []) - 1) + 1;
      const fn = apply(siteFunction, site, []);
      const prefix = apply(siteAsync, site, []) ? 'async ' : apply(siteConstructor, site, []) ? 'new ' : '';
      const where = url + ':' + line + ':' + column;
      text += '\n    at ' + (fn ? prefix + fn + ' (' + where + ')' : prefix + where);
      frames += url + '\t' + line + '\t' + column + '\t' + (fn || '') + '\t' + prefix + '\n';
    } catch {}
  }
  try { if (error !== null && typeof error === 'object') apply(WeakMapSet, framesOf, [error, frames]); } catch {}
  return text;
}
lock(ErrorCtor, 'prepareStackTrace', prepareStackTrace);
lock(g, 'Error', ErrorCtor);

// ---- globals -----------------------------------------------------------------------------
for (const name of ['SharedArrayBuffer', 'Atomics', 'WebAssembly', 'console']) deleteProperty(g, name);

const timers = new MapCtor();
let nextTimer = 1;
function addTimer(callback, delay, args, repeat) {
  if (typeof callback !== 'function') throw new TypeErrorCtor('The "callback" argument must be of type function');
  let ms = NumberCtor(delay);
  if (!(ms >= 1 && ms <= 2147483647)) ms = 1;
  const id = nextTimer++;
  apply(MapSet, timers, [id, { callback, args, repeat }]);
  callHost(2, id, ms, repeat);
  return id;
}
function clearTimer(id) {
  if (typeof id === 'number' && apply(MapDelete, timers, [id])) callHost(3, id);
}
const resolved = apply(PromiseResolve, PromiseCtor, [undefined]);
const globals = {
  __proto__: null, // see the kit below: no hidden class per property in every new realm
  setTimeout(callback, delay, ...args) { return addTimer(callback, delay, args, false); },
  setInterval(callback, delay, ...args) { return addTimer(callback, delay, args, true); },
  clearTimeout(id) { clearTimer(id); },
  clearInterval(id) { clearTimer(id); },
  queueMicrotask(callback) {
    if (typeof callback !== 'function') throw new TypeErrorCtor('The "callback" argument must be of type function');
    apply(PromiseThen, resolved, [() => { callback(); }]);
  },
};
for (const name in globals) hide(g, name, globals[name]);

// FinalizationRegistry cleanup callbacks run whenever the engine collects, outside any turn and
// so outside any watchdog: a looping one would hang the host. The realm's constructor wraps each
// callback so that collection only queues a timer, and the callback runs later as a bounded turn.
// The native constructor stays reachable (as the prototype's 'constructor'), but a registry it
// made cannot register anything, so its callback never runs. The prototype's 'constructor' is
// left alone on purpose: Node 20's V8 walks every live context on each write to a prototype's
// 'constructor' (species protectors; Node 24's does not), contexts that held a module are never
// freed, and so every new sandbox paid for all the old ones (0.03 ms at first, 0.5 ms after 3,000).
{
  const NativeRegistry = g.FinalizationRegistry;
  if (typeof NativeRegistry === 'function') {
    const construct = R.construct;
    const registryPrototype = NativeRegistry.prototype, nativeRegister = registryPrototype.register;
    const ours = new WeakSetCtor();
    const FinalizationRegistry = function FinalizationRegistry(cleanup) {
      if (new.target === undefined) throw new TypeErrorCtor("Constructor FinalizationRegistry requires 'new'");
      if (typeof cleanup !== 'function') throw new TypeErrorCtor('FinalizationRegistry: cleanup must be callable');
      const registry = construct(NativeRegistry, [(held) => { addTimer(cleanup, 0, [held], false); }], new.target);
      apply(WeakSetAdd, ours, [registry]);
      return registry;
    };
    defineProperty(FinalizationRegistry, 'prototype', { value: registryPrototype, writable: false, enumerable: false, configurable: false });
    hide(registryPrototype, 'register', { register(target, held) {
      if (!apply(WeakSetHas, ours, [this])) throw new TypeErrorCtor('FinalizationRegistry.prototype.register: this registry was not made by the global FinalizationRegistry');
      return apply(nativeRegister, this, [target, held, arguments[2]]);
    } }.register);
    hide(g, 'FinalizationRegistry', FinalizationRegistry);
  }
}
${ALLOCATION_CAP_SOURCE}
const consoleObject = {};
const levels = apply(StringSplit, consoleLevels, [',']);
for (let i = 0; i < levels.length; i++) {
  const level = levels[i];
  hide(consoleObject, level, { [level](...args) { callHost(4, level, args); } }[level]);
}
hide(g, 'console', consoleObject);
lock(g, '${GUARD_NAME}', guard);

// ---- turns -------------------------------------------------------------------------------
let job = 0, j1, j2, j3;
function describe(e) {
  // Runs inside the turn, so the user's getters may run; everything that leaves is a string.
  let name = typeof e, message = '', stack = '', code = '', frames = '';
  if (e !== null && (typeof e === 'object' || typeof e === 'function')) {
    try { const n = e.name; name = typeof n === 'string' ? n : 'Error'; } catch {}
    try { const m = e.message; if (typeof m === 'string') message = m; } catch {}
    try { const s = e.stack; if (typeof s === 'string') stack = s; } catch {}
    try { const c = e.code; if (typeof c === 'string') code = c; } catch {}
    try { frames = apply(WeakMapGet, framesOf, [e]) || ''; } catch {}
  } else {
    try { message = StringCtor(e); } catch {}
  }
  return [name, message, stack, code, frames];
}
function run(kind, a, b, c) {
  switch (kind) {
    case 1: return apply(a, b, c);
    case 2: {
      const timer = apply(MapGet, timers, [a]);
      if (timer === undefined) return undefined;
      if (!timer.repeat) apply(MapDelete, timers, [a]);
      return apply(timer.callback, undefined, timer.args);
    }
    case 3: if (b) a.resolve(c); else a.reject(c); return undefined;
    case 4: {
      const token = b;
      const p = apply(PromiseResolve, PromiseCtor, [a]);
      apply(PromiseThen, p, [(v) => { callHost(5, token, true, v); }, (e) => { callHost(5, token, false, e, describe(e)); }]);
      return undefined;
    }
    case 5: throw a;
    default: return undefined;
  }
}
function turn() {
  const kind = job;
  if (kind === 0) return;
  const a = j1, b = j2, c = j3;
  job = 0; j1 = j2 = j3 = undefined;
  let value, threw = false;
  try { value = run(kind, a, b, c); } catch (e) { value = e; threw = true; }
  callHost(6, threw, value, threw ? describe(value) : undefined);
}
lock(g, '${TURN_NAME}', turn);

// ---- the kit -----------------------------------------------------------------------------
// A null-prototype literal: V8 builds it as a dictionary in one step, where an ordinary literal
// makes this fresh realm create one hidden class per property (~20 µs of every new sandbox). And
// a name the host misspells finds nothing, not something of the sandbox's Object.prototype.
return ObjectFreeze({
  __proto__: null,
  FAIL,
  turn,
  ObjectPrototype,
  fail(e) { stashed = e; return FAIL; },
  setInTurn(v) { inTurn = v; if (v) allocated = 0; },
  // The user's frames of the current stack ("url\tline\tcol\tfn\n" rows, columns in the original
  // source), e.g. to say where an import() call is. Runs no user code: the holder has no prototype,
  // so header() reads no getter, and prepareStackTrace is the locked one above.
  callerFrames() {
    const holder = ObjectCreate(null);
    try {
      apply(captureStackTrace, ErrorCtor, [holder]);
      const text = holder.stack;
      return typeof text === 'string' ? apply(WeakMapGet, framesOf, [holder]) || '' : '';
    } catch { return ''; }
  },
  prepare(kind, a, b, c) { job = kind; j1 = a; j2 = b; j3 = c; },
  registerModule(url, edits) {
    const lines = new MapCtor();
    const parts = apply(StringSplit, edits, [',']);
    for (let i = 0; i + 2 < parts.length; i += 3) {
      const line = +parts[i];
      let list = apply(MapGet, lines, [line]);
      if (!list) { list = []; apply(MapSet, lines, [line, list]); }
      apply(ArrayPush, list, [+parts[i + 1], +parts[i + 2]]);
    }
    apply(MapSet, modules, [url, lines]);
  },
  object(nullProto) { return nullProto ? ObjectCreate(null) : {}; },
  array() { return []; },
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
      const r = callHost(1, id, args);
      if (r === FAIL) throw takeStashed();
      return r;
    } }[name];
    defineProperty(fn, 'length', { value: length, writable: false, enumerable: false, configurable: true });
    return fn;
  },
  deferred() {
    const d = ObjectCreate(null);
    d.promise = new PromiseCtor((resolve, reject) => { d.resolve = resolve; d.reject = reject; });
    return d;
  },
});
})`;
