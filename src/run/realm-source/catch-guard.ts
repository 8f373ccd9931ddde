/**
 * Realm source: the guard. Catch clauses (rewritten by transform/guard.ts) and rejection handlers
 * (the realm's `Promise.prototype.then`) see caught values through it. Host-realm values (errors
 * raised by host code while formatting a stack, or at a stack overflow in a host frame) are
 * replaced by equivalents of this realm; errors built natively around them are scrubbed.
 *
 * A turn out of time (meter.ts) is rethrown, whatever was caught: no catch body runs after it.
 *
 * In scope: exhausted, EXHAUSTED, apply, getPrototypeOf, getOwnPropertyDescriptor, defineProperty, ObjectPrototype,
 * ArrayCtor, ErrorCtor, RangeErrorCtor, errorCtors, PromiseCtor, PromiseThen, lock.
 * Defines: guard (published as the global GUARD_NAME by the assembly, after the console).
 */
export const CATCH_GUARD_SOURCE = String.raw`
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
function guard(e) {
  if (exhausted) throw EXHAUSTED;
  if (e === null || (typeof e !== 'object' && typeof e !== 'function')) return e;
  try {
    if (isForeign(e)) return localCopy(e);
    for (let i = 0; i < containerKeys.length; i++) {
      const d = getOwnPropertyDescriptor(e, containerKeys[i]);
      if (d && 'value' in d && d.value !== null && typeof d.value === 'object' && isForeign(d.value)) {
        defineProperty(e, containerKeys[i], { __proto__: null, value: localCopy(d.value), writable: true, enumerable: false, configurable: true });
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
`;
