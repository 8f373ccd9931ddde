/**
 * The expression runtime: source text run once in the expression realm (realm.ts). Every helper
 * the generated code calls lives here, so it runs on the realm's intrinsics, never the host's.
 *
 * Invariants the helpers keep:
 * - Data is read through own data property descriptors (or, for a frozen object, a copy of them:
 *   data.ts); an accessor reads as `undefined` (its getter never runs) and a Proxy is refused
 *   before any trap can run.
 * - No value of the data is ever coerced: an operator, method or interpolation that would call
 *   `toString`/`valueOf`/`Symbol.toPrimitive` on an object throws instead.
 * - Work that grows with its inputs is charged against the budget *before* it runs.
 * A failure throws a `Fault` (kind, message, position index); the host turns it into its error.
 */
import { DATA_SOURCE } from './data.js';

export const RUNTIME_FILENAME = 'esm-sandbox:expression-runtime';

export const RUNTIME_SOURCE = String.raw`(function (isProxy, hostArrayPrototype) {
'use strict';
const gopd = Reflect.getOwnPropertyDescriptor, ownKeys = Reflect.ownKeys, apply = Reflect.apply, getPrototypeOf = Reflect.getPrototypeOf;
const objectGopd = Object.getOwnPropertyDescriptor, isArray = Array.isArray, freeze = Object.freeze, hasOwn = Object.hasOwn;
const lookupGetter = Function.prototype.call.bind(Object.prototype.__lookupGetter__);
const RE = RegExp, strSlice = String.prototype.slice, mathMax = Math.max, ArrayPrototype = Array.prototype;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']);
const ours = new WeakMap();
class Fault { constructor(kind, message, p, cause) { this.kind = kind; this.message = message; this.p = p; this.cause = cause; } }
let left = 0;
/** What a name variable of the generated code holds before the name is read; never leaves the runtime. */
const UNREAD = freeze(Object.create(null));

function fail(message, p) { throw new Fault('runtime', message, p, undefined); }
function charge(n, p) { if ((left -= n) < 0) throw new Fault('budget', '', p, undefined); }
function kind(v) { return v === null ? 'null' : isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v; }
function prim(v, p, what) {
  const t = typeof v;
  if ((t === 'object' && v !== null) || t === 'function' || t === 'symbol') fail(what + ' would have to convert ' + kind(v) + '; values are never coerced', p);
  return v;
}
function num(v, p, what) { return typeof v === 'number' ? v : Number(prim(v, p, what)); }
/** A primitive as a string; a BigInt's decimal conversion is superlinear in its size, so it is charged first. */
function str(v, p, what) {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') bigText(v, p);
  return '' + prim(v, p, what);
}
function bigText(v, p) { const n = bigSize(v); charge(n + Math.ceil(n * n / 64), p); }
${DATA_SOURCE}
function bigSize(x) { return (x < 0n ? -x : x).toString(16).length; }
function add(a, b, p) {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (typeof a === 'string' && typeof b === 'string') { charge(a.length + b.length, p); return a + b; }
  prim(a, p, '+'); prim(b, p, '+');
  if (typeof a === 'bigint' && typeof b === 'bigint') charge(mathMax(bigSize(a), bigSize(b)), p);
  else if (typeof a === 'bigint' && typeof b === 'string') bigText(a, p);
  else if (typeof b === 'bigint' && typeof a === 'string') bigText(b, p);
  const r = a + b;
  if (typeof r === 'string') charge(r.length, p);
  return r;
}
function arith(op, a, b, p) {
  if (typeof a !== 'number' || typeof b !== 'number') {
    prim(a, p, op); prim(b, p, op);
    if (typeof a === 'bigint' && typeof b === 'bigint') {
      const sa = bigSize(a), sb = bigSize(b);
      if (op === '**') charge(sa * Number(b) + 1, p);
      else if (op === '<<') charge(sa + Number(b) / 4 + 1, p);
      else charge(op === '*' ? sa + sb : mathMax(sa, sb), p);
    }
  }
  switch (op) {
    case '-': return a - b; case '*': return a * b; case '/': return a / b; case '%': return a % b;
    case '**': return a ** b; case '&': return a & b; case '|': return a | b; case '^': return a ^ b;
    case '<<': return a << b; case '>>': return a >> b; case '>>>': return a >>> b;
  }
}
// One small function per common operator, with the number case first, so the optimizer inlines them.
function sub(a, b, p) { return typeof a === 'number' && typeof b === 'number' ? a - b : arith('-', a, b, p); }
function mul(a, b, p) { return typeof a === 'number' && typeof b === 'number' ? a * b : arith('*', a, b, p); }
function div(a, b, p) { return typeof a === 'number' && typeof b === 'number' ? a / b : arith('/', a, b, p); }
function mod(a, b, p) { return typeof a === 'number' && typeof b === 'number' ? a % b : arith('%', a, b, p); }
function lt(a, b, p) { return typeof a === 'number' && typeof b === 'number' ? a < b : cmp('<', a, b, p); }
function gt(a, b, p) { return typeof a === 'number' && typeof b === 'number' ? a > b : cmp('>', a, b, p); }
function le(a, b, p) { return typeof a === 'number' && typeof b === 'number' ? a <= b : cmp('<=', a, b, p); }
function ge(a, b, p) { return typeof a === 'number' && typeof b === 'number' ? a >= b : cmp('>=', a, b, p); }
function cmp(op, a, b, p) {
  if (typeof a !== 'number' || typeof b !== 'number') { prim(a, p, op); prim(b, p, op); }
  switch (op) { case '<': return a < b; case '>': return a > b; case '<=': return a <= b; case '>=': return a >= b; }
}
function loose(a, b, p) {
  const oa = (typeof a === 'object' && a !== null) || typeof a === 'function';
  const ob = (typeof b === 'object' && b !== null) || typeof b === 'function';
  if (oa !== ob && a != null && b != null) fail('== would have to convert ' + kind(oa ? a : b) + '; values are never coerced', p);
  return a == b;
}
function unary(op, a, p) {
  if (typeof a !== 'number') prim(a, p, 'unary ' + op);
  return op === '-' ? -a : op === '+' ? +a : ~a;
}
/** A template literal part or an interpolation. */
function text(v, p) {
  if (typeof v === 'string') { charge(v.length, p); return v; }
  const s = v === undefined || v === null ? '' + v : str(v, p, 'a template');
  charge(s.length, p);
  return s;
}
function part(v, p) { return v === undefined || v === null ? '' : text(v, p); }
function concat(parts, p) { let n = 0; for (let i = 0; i < parts.length; i++) n += parts[i].length; charge(n, p); return parts.join(''); }
const HTML = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const HTML_SPECIAL = /[&<>"']/, HTML_SPECIALS = /[&<>"']/g, htmlChar = (c) => HTML[c];
function html(v, p) {
  const s = v === undefined || v === null ? '' : text(v, p);
  charge(s.length, p);
  // Only a string can hold one of the five characters: a number, boolean or BigInt prints none.
  return typeof v === 'string' && HTML_SPECIAL.test(s) ? s.replace(HTML_SPECIALS, htmlChar) : s;
}

function re(source, flags, degree) { const r = new RE(source, flags); ours.set(r, degree); return r; }
function regex(r, input, p) {
  const degree = ours.get(r);
  if (degree === undefined) fail('only a regular expression literal of the expression can be used here', p);
  const n = input.length + 1;
  charge(degree === 0 ? n : n ** degree, p);
  return r;
}

/**
 * Start an evaluation. There is nothing to restore at the end: the only way another evaluation
 * can run in the middle of this one is a host function, and host() puts the budget back.
 */
function begin(budget, cost, scope) {
  const view = look(scope, 0);
  if (!(budget >= cost)) throw new Fault('budget', '', 0, undefined);
  left = budget - cost;
  return view;
}
function last() { return left; }
function isFault(e) { return e instanceof Fault; }
function host(fn, p, args) {
  const saved = left;
  try { return apply(fn, undefined, args); } catch (e) { throw new Fault('host', 'a host function threw', p, e); } finally { left = saved; }
}

return freeze({ Fault, g, gs, gc, len, el, arr, add, arith, cmp, sub, mul, div, mod, lt, gt, le, ge, loose, unary, text, part, concat, html, re, regex, prim, num, str,
  charge, fail, kind, notProxy, begin, last, isFault, host, own, FORBIDDEN, UNREAD,
  ArrayPrototype, ObjectPrototype: Object.prototype });
})`;
