/**
 * Realm source: how bundled libraries find the global object, for sandboxes with packages only
 * (installed through the kit, `installGlobalDetection`, with the `process` shim, before any user
 * code runs). lodash, core-js and their kind run `Function('return this')()`, which a realm without
 * code generation answers with an EvalError; `self` and `global` are the other two names they try.
 *
 * `Function` (the global and `Function.prototype.constructor`, one object) becomes a Proxy of the
 * realm's own: called or constructed with exactly one string, the body `return this` (optionally
 * after a 'use strict' directive, whitespace and `;` free) gives a new function that returns what
 * such a function would: the realm's `globalThis` for a plain call (sloppy) or the raw receiver
 * (strict). Anything else goes to the realm's Function untouched, which throws EvalError as before,
 * so `try { new Function('') } catch {}` still detects that code generation is off. Nothing of the
 * host is behind it: the traps close over the realm's intrinsics only, and the handler is
 * unreachable. AsyncFunction, GeneratorFunction and AsyncGeneratorFunction are left alone (nobody
 * detects the global through them), and the realm's original Function stays reachable as their
 * prototype: it compiles nothing either.
 *
 * `self` (as in workers, Deno, Bun) and `global` (as in Node) are the realm's globalThis.
 *
 * Writing `Function.prototype.constructor` walks every live context on Node 20 (docs/ARCHITECTURE.md,
 * section 9), so only sandboxes with packages pay it, once, at adoption.
 *
 * In scope: g, R, apply, defineProperty, getOwnPropertyDescriptor, hide. Defines:
 * installGlobalDetection (handed out by the kit).
 */
import { GLOBAL_DETECTION_BODY } from '../../constants.js';

export const GLOBAL_DETECTION_SOURCE = String.raw`
const installGlobalDetection = () => {
  const FunctionCtor = g.Function, ObjectCtor = Object, ProxyCtor = Proxy, construct = R.construct;
  const RegExpExec = RegExp.prototype.exec;
  const GLOBAL_BODY = /${GLOBAL_DETECTION_BODY}/;
  // undefined: not the idiom; else a new function, as Function makes a new one each call.
  const answer = (args) => {
    if (args.length !== 1 || typeof args[0] !== 'string') return undefined;
    const match = apply(RegExpExec, GLOBAL_BODY, [args[0]]);
    if (match === null) return undefined;
    return match[1] === undefined
      ? function anonymous() { const self = this; return self === undefined || self === null ? g : ObjectCtor(self); }
      : function anonymous() { return this; };
  };
  const DetectingFunction = new ProxyCtor(FunctionCtor, {
    __proto__: null,
    apply(target, receiver, args) { const fn = answer(args); return fn === undefined ? apply(target, receiver, args) : fn; },
    // A subclass's super() (newTarget another constructor) wants an instance of it: only compiling can make one.
    construct(target, args, newTarget) { const fn = newTarget === DetectingFunction ? answer(args) : undefined; return fn === undefined ? construct(target, args, newTarget) : fn; },
  });
  const prototypeSlot = getOwnPropertyDescriptor(FunctionCtor.prototype, 'constructor');
  defineProperty(FunctionCtor.prototype, 'constructor', { ...prototypeSlot, value: DetectingFunction });
  hide(g, 'Function', DetectingFunction);
  hide(g, 'self', g);
  hide(g, 'global', g);
};
`;
