/**
 * Realm source, metered realms only: regular expressions run under a watchdog. Metered code stops
 * at its next check, but a backtracking match checks nothing: `/^(a+)+$/` on 40 characters runs
 * for minutes inside one builtin. So in a turn without a watchdog, every way into the regexp
 * engine asks the host to run it under one (`HostOp.Regex`, run/watchdog.ts), with what is left
 * of the turn's time. Those ways are, by the spec, the methods below: each native caller of the
 * engine goes through `RegExpExec`, which reaches it only from these methods or the matchAll
 * iterator's `next`, and uses the built-in `exec` when an object's `exec` is not callable. They
 * are locked, so no user code can put an unwatched one back. Inside a watched run (or a turn
 * under Node's watchdog) they call the originals directly.
 *
 * In scope: g, apply, getPrototypeOf, RegExpCtor, DateNow, callHost, lock, exhausted, EXHAUSTED,
 * meterDeadline, METERED.
 * Defines: runRegex (the kit's, called by the host inside its watched run), regexUsed (read and
 * reset by the kit's `regexUsed()`, which tells the host whether its turns need a watchdog).
 */
import { HostOp } from '../../realm-protocol.js';

export const TAME_REGEXP_SOURCE = String.raw`
let regexUsed = false, regexWatched = false, regexFn, regexThis, regexArgs, regexOut, regexThrew = false;
function runRegex() {
  regexWatched = true;
  try { regexOut = apply(regexFn, regexThis, regexArgs); regexThrew = false; } catch (e) { regexOut = e; regexThrew = true; }
  regexWatched = false;
}
function watchedRegex(fn, self, args) {
  regexUsed = true;
  if (meterDeadline === Infinity || regexWatched) return apply(fn, self, args);
  const left = meterDeadline - DateNow();
  if (exhausted || left <= 0) { exhausted = true; throw EXHAUSTED; }
  regexFn = fn; regexThis = self; regexArgs = args;
  const finished = callHost(${HostOp.Regex}, left);
  regexFn = regexThis = regexArgs = undefined;
  const out = regexOut, threw = regexThrew;
  regexOut = undefined; regexThrew = false;
  if (!finished) { exhausted = true; throw EXHAUSTED; }
  if (threw) throw out;
  return out;
}
if (METERED) {
  const proto = RegExpCtor.prototype;
  const tame = (o, key) => {
    const original = o[key];
    lock(o, key, { [key](...args) { return watchedRegex(original, this, args); } }[key]);
  };
  tame(proto, 'exec'); tame(proto, 'test');
  tame(proto, Symbol.match); tame(proto, Symbol.matchAll); tame(proto, Symbol.replace);
  tame(proto, Symbol.search); tame(proto, Symbol.split);
  tame(getPrototypeOf(apply(proto[Symbol.matchAll], /(?:)/, [''])), 'next');
}
`;
