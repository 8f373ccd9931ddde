/**
 * Realm source: what the realm's global object loses and the timer globals it gains. Removed:
 * shared memory, `Atomics`, `WebAssembly`, and V8's own `console` (replaced by console.ts).
 * Timers are host timers (run/timers.ts) whose callbacks come back as `Job.Timer` turns; the
 * callback and its arguments stay here, the host sees only the id. `queueMicrotask` queues on the
 * context's own queue, which every turn drains under its watchdog.
 *
 * In scope: g, apply, deleteProperty, MapCtor, MapSet, MapDelete, NumberCtor, TypeErrorCtor,
 * PromiseCtor, PromiseResolve, PromiseThen, callHost, hide.
 * Defines: timers (id -> { callback, args, repeat }), addTimer.
 */
import { HostOp } from '../../realm-protocol.js';

export const TIMERS_SOURCE = String.raw`
for (const name of ['SharedArrayBuffer', 'Atomics', 'WebAssembly', 'console']) deleteProperty(g, name);

const timers = new MapCtor();
let nextTimer = 1;
function addTimer(callback, delay, args, repeat) {
  if (typeof callback !== 'function') throw new TypeErrorCtor('The "callback" argument must be of type function');
  let ms = NumberCtor(delay);
  if (!(ms >= 1 && ms <= 2147483647)) ms = 1;
  const id = nextTimer++;
  apply(MapSet, timers, [id, { callback, args, repeat }]);
  callHost(${HostOp.TimerSet}, id, ms, repeat);
  return id;
}
function clearTimer(id) {
  if (typeof id === 'number' && apply(MapDelete, timers, [id])) callHost(${HostOp.TimerClear}, id);
}
const resolved = apply(PromiseResolve, PromiseCtor, [undefined]);
const globals = {
  __proto__: null, // see the kit: no hidden class per property in every new realm
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
`;
