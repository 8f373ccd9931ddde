/**
 * Realm source: the budget of metered code (transform/meter.ts). Each module counts down a
 * counter of its own and calls `refill` (published as the locked global METER_REFILL_NAME) when it
 * runs out; `refill` reads the clock and hands out METER_TICKS more, or throws once the turn's
 * time is up. Exhaustion is sticky: from then on every refill throws again, and so does the guard,
 * so no `catch` sees the error and a `finally` that loops meets a check and throws once more.
 * The host learns of it from the kit's `expired()` when the turn returns, and the realm dies.
 *
 * Calling `refill` directly (it is reachable as a global) only reads the clock: the counter it
 * would feed is a module-scoped variable no user code can name.
 *
 * In a metered realm, `Function.prototype.toString` leaves out what the rewrite inserted.
 *
 * In scope: apply, DateNow, ObjectCreate, ObjectFreeze, RegExpCtor, FunctionPrototype, SymbolReplace, hide, METERED.
 * Defines: refill, exhausted, EXHAUSTED, armMeter.
 */
import { METER_CHECK, METER_MARK } from '../../constants.js';

/**
 * Checks between two clock reads. Date.now() costs ~25 ns; a check ~1 ns. 1,024 cheap checks are
 * a microsecond or two, so a turn overruns its deadline by far less than the clock's millisecond.
 */
export const METER_TICKS = 1024;

/** Everything the metering rewrite inserts inside a function, longest first (see transform/meter.ts). */
const inserted = [
  `{${METER_MARK}${METER_CHECK};`,
  `(${METER_MARK}${METER_CHECK},`,
  `${METER_MARK})`,
  `${METER_MARK}}`,
  `;${METER_CHECK};`,
  `${METER_CHECK};`,
];
const INSERTED_PATTERN = inserted.map((text) => text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')).join('|');

export const METER_SOURCE = String.raw`
let meterDeadline = Infinity, exhausted = false;
// Never seen by user code (the guard rethrows it before any catch body runs): frozen all the same.
const EXHAUSTED = ObjectFreeze(ObjectCreate(null));
function refill() {
  if (exhausted || DateNow() > meterDeadline) {
    exhausted = true;
    throw EXHAUSTED;
  }
  return ${METER_TICKS};
}
if (METERED) {
  // A function's text is the user's, not the rewrite's. Our own regexp, linear, run unwatched.
  const FunctionToString = FunctionPrototype.toString, RegExpReplace = RegExpCtor.prototype[SymbolReplace];
  const insertedText = new RegExpCtor(${JSON.stringify(INSERTED_PATTERN)}, 'g');
  const toString = { toString() {
    if (this === toString) return 'function toString() { [native code] }';
    return apply(RegExpReplace, insertedText, [apply(FunctionToString, this, []), '']);
  } }.toString;
  hide(FunctionPrototype, 'toString', toString);
}
// ms: the turn's time (a watched turn, or an unbounded realm, passes Infinity: no deadline).
function armMeter(ms) { meterDeadline = ms === Infinity ? Infinity : DateNow() + ms; }
`;
