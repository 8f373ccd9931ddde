/**
 * The methods and the standard library an expression may call, in two halves: the table the
 * compiler checks calls against (names, arity, which argument is an arrow), and the realm source
 * of their implementations. Each implementation checks its receiver and arguments, charges what
 * it will produce before producing it, and never mutates its receiver (`sort` and `reverse` copy).
 */

/** A callable: how many arguments it takes at most, and which argument positions take an arrow. */
export interface CallableSpec {
  readonly max: number;
  readonly arrows?: readonly number[];
}

const spec = (max: number, ...arrows: number[]): CallableSpec => ({ max, arrows });

/** Methods on strings, numbers, arrays and regular expression literals (dispatched on the receiver at run time). */
export const METHODS: Readonly<Record<string, CallableSpec>> = {
  toUpperCase: spec(0),
  toLowerCase: spec(0),
  trim: spec(0),
  trimStart: spec(0),
  trimEnd: spec(0),
  startsWith: spec(2),
  endsWith: spec(2),
  includes: spec(2),
  indexOf: spec(2),
  lastIndexOf: spec(2),
  slice: spec(2),
  substring: spec(2),
  at: spec(1),
  charAt: spec(1),
  charCodeAt: spec(1),
  codePointAt: spec(1),
  split: spec(2),
  repeat: spec(1),
  padStart: spec(2),
  padEnd: spec(2),
  replace: spec(2),
  replaceAll: spec(2),
  match: spec(1),
  search: spec(1),
  test: spec(1),
  concat: spec(8),
  toString: spec(1),
  toFixed: spec(1),
  toPrecision: spec(1),
  filter: spec(1, 0),
  map: spec(1, 0),
  some: spec(1, 0),
  every: spec(1, 0),
  find: spec(1, 0),
  findIndex: spec(1, 0),
  findLast: spec(1, 0),
  findLastIndex: spec(1, 0),
  flatMap: spec(1, 0),
  reduce: spec(2, 0),
  sort: spec(1, 0),
  join: spec(1),
  reverse: spec(0),
  flat: spec(0),
};

/** `Math.*` functions (constants are inlined by the compiler), and the global helpers. */
export const MATH_FUNCTIONS = [
  'abs',
  'ceil',
  'floor',
  'round',
  'trunc',
  'sign',
  'sqrt',
  'cbrt',
  'exp',
  'expm1',
  'log',
  'log1p',
  'log2',
  'log10',
  'sin',
  'cos',
  'tan',
  'asin',
  'acos',
  'atan',
  'atan2',
  'sinh',
  'cosh',
  'tanh',
  'min',
  'max',
  'pow',
  'hypot',
] as const;
export const MATH_CONSTANTS: Readonly<Record<string, number>> = {
  PI: Math.PI,
  E: Math.E,
  LN2: Math.LN2,
  LN10: Math.LN10,
  LOG2E: Math.LOG2E,
  LOG10E: Math.LOG10E,
  SQRT2: Math.SQRT2,
  SQRT1_2: Math.SQRT1_2,
};
/** Callables of the standard library by their dotted name. */
export const STDLIB: Readonly<Record<string, CallableSpec>> = {
  ...Object.fromEntries(MATH_FUNCTIONS.map((name) => [`Math.${name}`, spec(8)])),
  Number: spec(1),
  String: spec(1),
  Boolean: spec(1),
  parseInt: spec(2),
  parseFloat: spec(1),
  isNaN: spec(1),
  isFinite: spec(1),
  'Number.isInteger': spec(1),
  'Number.isFinite': spec(1),
  'Number.isNaN': spec(1),
  'Array.isArray': spec(1),
  'Array.from': spec(2, 1),
  'Object.keys': spec(1),
  'Object.values': spec(1),
  'Object.entries': spec(1),
};
/** Names an expression may use as the head of a stdlib call (`Math.max(...)`, `Number(x)`). */
export const STDLIB_ROOTS = new Set([
  'Math',
  'Number',
  'String',
  'Boolean',
  'parseInt',
  'parseFloat',
  'isNaN',
  'isFinite',
  'Array',
  'Object',
]);

/** The method behind \`.filter(f).length\`: not a name an expression can write (not in METHODS). */
export const FILTER_COUNT = '\u0000filterCount';

export const STDLIB_FILENAME = 'esm-sandbox:expression-stdlib';

/** Realm source: `(rt) => ({ M, S })`, the methods by name and the stdlib by dotted name. */
export const STDLIB_SOURCE = String.raw`(function (rt) {
'use strict';
const { g, el, len, arr, charge, fail, kind, prim, num, str, regex, notProxy } = rt;
const isArray = Array.isArray, ownKeys = Reflect.ownKeys, gopd = Reflect.getOwnPropertyDescriptor, create = Object.create;
const S_ = String.prototype, N_ = Number.prototype, R_ = RegExp.prototype;
const call = (f, self, ...args) => Reflect.apply(f, self, args);
const M = create(null), S = create(null);

function string(s, p, name) { if (typeof s !== 'string') fail('.' + name + '() is not a method of ' + kind(s), p); return s; }
function pattern(x, s, p, what) { return typeof x === 'string' ? x : regex(x, s, p); }
function fn(f, p) { if (typeof f !== 'function') fail('this argument must be an arrow function', p); return f; }

// Strings (arrays share some names: the dispatch is on the receiver).
for (const name of ['toUpperCase', 'toLowerCase', 'trim', 'trimStart', 'trimEnd']) {
  const f = S_[name];
  M[name] = (s, p) => { string(s, p, name); charge(s.length, p); return call(f, s); };
}
for (const name of ['startsWith', 'endsWith']) {
  const f = S_[name];
  M[name] = (s, p, a, b) => { string(s, p, name); charge(s.length, p); return call(f, s, str(a, p, name), b === undefined ? undefined : num(b, p, name)); };
}
for (const name of ['charAt', 'charCodeAt', 'codePointAt', 'substring']) {
  const f = S_[name];
  M[name] = (s, p, a, b) => call(f, string(s, p, name), a === undefined ? undefined : num(a, p, name), b === undefined ? undefined : num(b, p, name));
}
M.repeat = (s, p, n) => { string(s, p, 'repeat'); n = num(n, p, 'repeat'); charge(s.length * (n > 0 ? n : 0) + 1, p); return call(S_.repeat, s, n); };
for (const name of ['padStart', 'padEnd']) {
  const f = S_[name];
  M[name] = (s, p, n, fill) => { string(s, p, name); n = num(n, p, name); charge((n > s.length ? n : s.length) + 1, p); return call(f, s, n, fill === undefined ? undefined : str(fill, p, name)); };
}
M.split = (s, p, sep, limit) => {
  if (typeof s !== 'string') fail('.split() is not a method of ' + kind(s), p);
  charge(s.length * 2 + 1, p);
  return call(S_.split, s, sep === undefined ? undefined : pattern(sep, s, p), limit === undefined ? undefined : num(limit, p, 'split'));
};
for (const name of ['replace', 'replaceAll']) {
  const f = S_[name];
  M[name] = (s, p, a, b) => {
    string(s, p, name);
    if (typeof b !== 'string') fail('.' + name + '() takes a replacement string', p);
    // The $-backtick and $' patterns insert the text before or after each match: each can cost the whole string.
    const wide = b.split('$\x60').length + b.split("$'").length - 2;
    charge((s.length + 1) * (b.length + 1 + wide * s.length), p);
    return call(f, s, pattern(a, s, p), b);
  };
}
M.match = (s, p, r) => { string(s, p, 'match'); charge(s.length, p); return call(S_.match, s, regex(r, s, p)); };
M.search = (s, p, r) => { string(s, p, 'search'); return call(S_.search, s, regex(r, s, p)); };
M.test = (r, p, s) => { s = str(s, p, 'test'); return call(R_.test, regex(r, s, p), s); };

// Shared by strings and arrays.
M.includes = (o, p, a, b) => {
  if (typeof o === 'string') { charge(o.length, p); return call(S_.includes, o, str(a, p, 'includes'), b === undefined ? undefined : num(b, p, 'includes')); }
  const m = arr(o, p, '.includes()'), n = o.length; charge(n, p);
  for (let i = 0; i < n; i++) { const v = el(o, i, m); if (v === a || (v !== v && a !== a)) return true; }
  return false;
};
M.indexOf = (o, p, a) => {
  if (typeof o === 'string') { charge(o.length, p); return call(S_.indexOf, o, str(a, p, 'indexOf')); }
  const m = arr(o, p, '.indexOf()'), n = o.length; charge(n, p);
  for (let i = 0; i < n; i++) if (el(o, i, m) === a) return i;
  return -1;
};
M.lastIndexOf = (o, p, a) => {
  if (typeof o === 'string') { charge(o.length, p); return call(S_.lastIndexOf, o, str(a, p, 'lastIndexOf')); }
  const m = arr(o, p, '.lastIndexOf()'), n = o.length; charge(n, p);
  for (let i = n - 1; i >= 0; i--) if (el(o, i, m) === a) return i;
  return -1;
};
function range(n, a, b) {
  let from = a === undefined ? 0 : Math.trunc(a) || 0, to = b === undefined ? n : Math.trunc(b) || 0;
  if (from < 0) from = Math.max(0, n + from); if (to < 0) to = Math.max(0, n + to);
  return [Math.min(from, n), Math.min(to, n)];
}
M.slice = (o, p, a, b) => {
  a = a === undefined ? undefined : num(a, p, 'slice'); b = b === undefined ? undefined : num(b, p, 'slice');
  if (typeof o === 'string') { charge(o.length, p); return call(S_.slice, o, a, b); }
  const m = arr(o, p, '.slice()'); const [from, to] = range(o.length, a, b); charge(to - from + 1, p);
  const out = []; for (let i = from; i < to; i++) out.push(el(o, i, m)); return out;
};
M.at = (o, p, i) => {
  i = Math.trunc(num(i, p, 'at')) || 0;
  if (typeof o === 'string') return call(S_.at, o, i);
  const m = arr(o, p, '.at()'), n = o.length; if (i < 0) i += n; return i >= 0 && i < n ? el(o, i, m) : undefined;
};
M.concat = (o, p, ...items) => {
  if (typeof o === 'string') { let s = o; for (const x of items) s = rt.add(s, str(x, p, 'concat'), p); return s; }
  arr(o, p, '.concat()');
  const parts = [o, ...items], modes = [];
  let total = 0;
  for (const part of parts) {
    if (isArray(part)) { modes.push(arr(part, p, '.concat()')); total += part.length; } else { modes.push(-1); total++; }
  }
  charge(total, p);
  const out = new Array(total);
  let k = 0;
  for (let j = 0; j < parts.length; j++) {
    const part = parts[j], m = modes[j];
    if (m !== -1) { const n = part.length; for (let i = 0; i < n; i++) out[k++] = el(part, i, m); } else out[k++] = part;
  }
  return out;
};
M.toString = (v, p, radix) => {
  if (typeof v === 'number') return call(N_.toString, v, radix === undefined ? 10 : num(radix, p, 'toString'));
  if (typeof v === 'string' || typeof v === 'boolean') return '' + v;
  return fail('.toString() is only a method of strings, numbers and booleans, not ' + kind(v), p);
};
for (const name of ['toFixed', 'toPrecision']) {
  const f = N_[name];
  M[name] = (v, p, d) => { if (typeof v !== 'number') fail('.' + name + '() is not a method of ' + kind(v), p); return call(f, v, d === undefined ? undefined : num(d, p, name)); };
}

// Arrays: the callback is an arrow of the expression; it charges its own body per call.
/** Check the receiver of an array method, charge its length, and return how to read it (arr). */
function each(o, p, name) { const m = arr(o, p, '.' + name + '()'); charge(o.length, p); return m; }
M.filter = (o, p, f) => { const m = each(o, p, 'filter'), n = o.length; fn(f, p); const out = []; for (let i = 0; i < n; i++) { const v = el(o, i, m); if (f(v, i)) out.push(v); } return out; };
/** filter(f).length without the array (the compiler's rewrite): the same checks, charges and calls. */
M[${'${COUNT}'}] = (o, p, f) => { const m = each(o, p, 'filter'), n = o.length; fn(f, p); let c = 0; for (let i = 0; i < n; i++) if (f(el(o, i, m), i)) c++; return c; };
M.map = (o, p, f) => { const m = each(o, p, 'map'), n = o.length; fn(f, p); const out = new Array(n); for (let i = 0; i < n; i++) out[i] = f(el(o, i, m), i); return out; };
M.some = (o, p, f) => { const m = each(o, p, 'some'), n = o.length; fn(f, p); for (let i = 0; i < n; i++) if (f(el(o, i, m), i)) return true; return false; };
M.every = (o, p, f) => { const m = each(o, p, 'every'), n = o.length; fn(f, p); for (let i = 0; i < n; i++) if (!f(el(o, i, m), i)) return false; return true; };
M.find = (o, p, f) => { const m = each(o, p, 'find'), n = o.length; fn(f, p); for (let i = 0; i < n; i++) { const v = el(o, i, m); if (f(v, i)) return v; } return undefined; };
M.findIndex = (o, p, f) => { const m = each(o, p, 'findIndex'), n = o.length; fn(f, p); for (let i = 0; i < n; i++) if (f(el(o, i, m), i)) return i; return -1; };
M.findLast = (o, p, f) => { const m = each(o, p, 'findLast'), n = o.length; fn(f, p); for (let i = n - 1; i >= 0; i--) { const v = el(o, i, m); if (f(v, i)) return v; } return undefined; };
M.findLastIndex = (o, p, f) => { const m = each(o, p, 'findLastIndex'), n = o.length; fn(f, p); for (let i = n - 1; i >= 0; i--) if (f(el(o, i, m), i)) return i; return -1; };
M.flatMap = (o, p, f) => {
  const m = each(o, p, 'flatMap'), n = o.length; fn(f, p); const out = [];
  for (let i = 0; i < n; i++) {
    const v = f(el(o, i, m), i);
    if (isArray(v)) { const mv = arr(v, p, '.flatMap()'), k = v.length; charge(k, p); for (let j = 0; j < k; j++) out.push(el(v, j, mv)); } else out.push(v);
  }
  return out;
};
M.flat = (o, p) => M.flatMap(o, p, (v) => v);
M.reduce = (o, p, f, init) => {
  const m = each(o, p, 'reduce'), n = o.length; fn(f, p);
  let i = 0, acc = init;
  if (init === undefined) { if (n === 0) fail('.reduce() of an empty array needs an initial value', p); acc = el(o, 0, m); i = 1; }
  for (; i < n; i++) acc = f(acc, el(o, i, m), i);
  return acc;
};
M.reverse = (o, p) => { const m = each(o, p, 'reverse'), n = o.length; const out = new Array(n); for (let i = 0; i < n; i++) out[n - 1 - i] = el(o, i, m); return out; };
function order(a, b, p) {
  if (a === undefined) return b === undefined ? 0 : 1;
  if (b === undefined) return -1;
  const x = str(a, p, 'sort'), y = str(b, p, 'sort');
  return x < y ? -1 : x > y ? 1 : 0;
}
M.sort = (o, p, f) => {
  each(o, p, 'sort'); const n = o.length;
  charge(Math.ceil(n * Math.log2(n + 1)), p);
  const copy = M.slice(o, p);
  const compare = f === undefined ? (a, b) => order(a, b, p) : (a, b) => { const r = fn(f, p)(a, b); return typeof r === 'number' ? r : num(r, p, 'a sort comparator'); };
  return copy.sort(compare);
};
M.join = (o, p, sep) => {
  const m = each(o, p, 'join'), n = o.length; sep = sep === undefined ? ',' : str(sep, p, 'join');
  const parts = new Array(n); let total = sep.length * (n > 0 ? n - 1 : 0);
  for (let i = 0; i < n; i++) { const v = el(o, i, m); const s = v === undefined || v === null ? '' : str(v, p, 'join'); parts[i] = s; total += s.length; }
  charge(total, p);
  return parts.join(sep);
};

// The standard library.
for (const name of ${'${MATH}'}) {
  const f = Math[name];
  S['Math.' + name] = (p, ...args) => { for (let i = 0; i < args.length; i++) args[i] = num(args[i], p, 'Math.' + name); return Reflect.apply(f, undefined, args); };
}
S.Number = (p, v) => num(v, p, 'Number()');
S.String = (p, v) => { const s = v === undefined ? '' : str(v, p, 'String()'); charge(s.length, p); return s; };
S.Boolean = (p, v) => !!v;
S.parseInt = (p, v, r) => parseInt(str(v, p, 'parseInt()'), r === undefined ? undefined : num(r, p, 'parseInt()'));
S.parseFloat = (p, v) => parseFloat(str(v, p, 'parseFloat()'));
S.isNaN = (p, v) => isNaN(num(v, p, 'isNaN()'));
S.isFinite = (p, v) => isFinite(num(v, p, 'isFinite()'));
S['Number.isInteger'] = (p, v) => Number.isInteger(v);
S['Number.isFinite'] = (p, v) => Number.isFinite(v);
S['Number.isNaN'] = (p, v) => Number.isNaN(v);
S['Array.isArray'] = (p, v) => isArray(v);
/** map over an array this library just built: its elements are plain data, read directly. */
function mapBuilt(out, p, f) {
  charge(out.length, p);
  for (let i = 0; i < out.length; i++) out[i] = f(out[i], i);
  return out;
}
S['Array.from'] = (p, v, f) => {
  if (f !== undefined) fn(f, p);
  if (typeof v === 'string') { charge(v.length, p); const out = Array.from(v); return f ? mapBuilt(out, p, f) : out; }
  if (v === null || typeof v !== 'object') fail('Array.from() needs an array, a string or { length }', p);
  notProxy(v, p);
  // An array-like (not an array) is read like an array of an odd prototype: only its own indices.
  const list = isArray(v), m = list ? arr(v, p, 'Array.from()') : 1;
  const n = len(v, p);
  if (typeof n !== 'number' || !(n >= 0) || n > 4294967295) fail('Array.from() needs a length between 0 and 2**32 - 1', p);
  charge(n, p);
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = el(v, i, m);
  return f ? mapBuilt(out, p, f) : out;
};
function entries(o, p, what) {
  if (o === null || typeof o !== 'object') fail(what + ' needs an object, not ' + kind(o), p);
  notProxy(o, p);
  const keys = ownKeys(o); charge(keys.length, p);
  const out = [];
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i], d = gopd(o, k);
    if (typeof k === 'string' && d !== undefined && d.enumerable) out.push([k, d.value]);
  }
  return out;
}
S['Object.keys'] = (p, o) => entries(o, p, 'Object.keys()').map((e) => e[0]);
S['Object.values'] = (p, o) => entries(o, p, 'Object.values()').map((e) => e[1]);
S['Object.entries'] = (p, o) => entries(o, p, 'Object.entries()');
return Object.freeze({ M: Object.freeze(M), S: Object.freeze(S) });
})`
  .replace('${MATH}', JSON.stringify(MATH_FUNCTIONS))
  .replace('${COUNT}', JSON.stringify(FILTER_COUNT));
