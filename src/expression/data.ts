/**
 * How the expression runtime reads the data: a fragment of the runtime's realm source
 * (runtime.ts splices it in, and it uses the runtime's `fail`, `kind` and `FORBIDDEN`).
 *
 * A property is read through its own property descriptor, so a getter never runs, after the
 * object was checked not to be a Proxy, so no trap runs. Nothing about a live object is kept
 * between reads but whether it is a Proxy, which never changes: a data property can become an
 * accessor, a prototype can change, at any time.
 *
 * A *frozen* object can change in none of these ways: its own properties, their values and its
 * prototype are fixed for good. The first read of a frozen object may take a *view* of it: a
 * realm object holding a copy of its own data properties (an accessor copied as `undefined`,
 * its getter never called), whose prototype is an empty frozen object without a prototype. A
 * view answers every later read with a plain property load, exactly as the descriptor would
 * have; it never leaves the runtime (the values it holds are the original ones).
 */
export const DATA_SOURCE = String.raw`
const isFrozen = Object.isFrozen, create = Object.create;
/**
 * What is kept about an object of the data: LIVE (not a Proxy, read live) or its view. One map
 * answers both questions with one lookup, so an object read for the first time pays one miss.
 */
const known = new WeakMap();
/** The prototype of every view: nothing to inherit, so a key a view lacks reads as undefined. */
const VIEW = freeze(create(null));
const LIVE = freeze(create(null));
/** Objects with more own keys than this are read live: copying them would cost more than it saves. */
const VIEW_MAX = 4096;
let misses = 0;

/**
 * Check an object of the data and return its view, or undefined to read it live. Whether an
 * object is a Proxy never changes, so the verdict can be kept; but keeping it is a hash-table
 * insertion (about 130 ns, and GC work) against about 10 ns for asking again. One miss in 32 is
 * kept (4 ns a miss, amortized; one in eight cost a new scope per call 10 ns more): an object read
 * again and again (long-lived data) is soon a cheap hit, an object read once (a new scope per
 * call) stays cheap. Which objects are kept changes speed, never a result or a cost.
 */
function look(o, p) {
  const kept = known.get(o);
  return kept === undefined ? classify(o, p) : kept === LIVE ? undefined : kept;
}
/** look() for an object not in known. */
function classify(o, p) {
  if (isProxy(o)) fail('a Proxy in the data is never read', p);
  if ((misses = (misses + 1) & 31) !== 0) return undefined;
  const taken = frozen(o) ? viewOf(o) : undefined;
  known.set(o, taken === undefined ? LIVE : taken);
  return taken;
}
function notProxy(o, p) { look(o, p); }
/** isFrozen runs no user code on an object that is not a Proxy, but a module namespace in its TDZ throws. */
function frozen(o) { try { return isFrozen(o); } catch { return false; } }
function viewOf(o) {
  if (isArray(o) && o.length > VIEW_MAX) return undefined;
  const keys = ownKeys(o);
  if (keys.length > VIEW_MAX) return undefined;
  const view = create(VIEW);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    // No setter on the way (VIEW is empty): this defines an own data property, even for "__proto__".
    if (typeof k === 'string') { const d = gopd(o, k); view[k] = d === undefined ? undefined : d.value; }
  }
  return view;
}
function own(o, k, p) {
  const view = look(o, p);
  if (view !== undefined) return view[k];
  const d = gopd(o, k);
  return d === undefined ? undefined : d.value;
}

/** a.b */
function g(o, k, p) {
  if (typeof o === 'object') {
    if (o === null) fail('cannot read "' + k + '" of null', p);
    // The common case first, without a call: a live object already known not to be a Proxy.
    const kept = known.get(o);
    if (kept !== LIVE) {
      const view = kept === undefined ? classify(o, p) : kept;
      if (view !== undefined) return view[k];
    }
    // An array's length is always an own data property: read it without a descriptor.
    if (k === 'length' && isArray(o)) return o.length;
    const d = gopd(o, k);
    return d === undefined ? undefined : d.value;
  }
  if (typeof o === 'string') return k === 'length' ? o.length : undefined;
  if (o === undefined) fail('cannot read "' + k + '" of undefined', p);
  return undefined;
}
/** A name of a live scope (checked by begin(); a frozen scope's names are read from its view). */
function gs(s, k) { const d = gopd(s, k); return d === undefined ? undefined : d.value; }
/** a[k]: a string or number key, never a forbidden name. */
function gc(o, k, p) {
  if (typeof k !== 'number') {
    if (typeof k !== 'string') fail('a computed key must be a string or a number, not ' + kind(k), p);
    if (FORBIDDEN.has(k)) fail('"' + k + '" is never read', p);
  }
  if (typeof o === 'string') { const d = objectGopd(o, k); return d === undefined ? undefined : d.value; }
  return g(o, k, p);
}
/** The length of a checked array (always an own data property), or the own length of an array-like. */
function len(a, p) { return isArray(a) ? a.length : own(a, 'length', p); }
/**
 * Check an array of the data and say how to read its elements (el): its view if it has one;
 * 0 if its prototype is an ordinary Array.prototype (of the host or of this realm) or null, so
 * the prototype walk __lookupGetter__ makes for a hole meets no Proxy; 1 for any other
 * prototype, which a hole must never reach, so each element is first checked to be own.
 */
function arr(a, p, name) {
  if (!isArray(a)) fail(name + ' needs an array, not ' + kind(a), p);
  const view = look(a, p);
  if (view !== undefined) return view;
  const proto = getPrototypeOf(a);
  return proto === ArrayPrototype || proto === hostArrayPrototype || proto === null ? 0 : 1;
}
/**
 * An element of a checked array, m as arr() said. __lookupGetter__ tells an accessor without
 * running it and is three times faster than a descriptor for an index; a setter-only accessor
 * reads as undefined without running anything.
 */
function el(a, i, m) {
  if (m !== 0) {
    if (m !== 1) return m[i];
    if (!hasOwn(a, i)) return undefined;
  }
  return lookupGetter(a, i) === undefined ? a[i] : undefined;
}
`;
