/**
 * Realm source: turns. The host stores a job with the kit's `prepare` (positional: kind and up to
 * three operands, see TurnJob in realm-protocol.ts), then runs the fixed script that calls
 * `turn()` under its watchdog. The job's outcome goes back through the host entry
 * (`HostOp.Result`), with `describe()`'s strings when it threw.
 *
 * In scope: apply, WeakMapGet, MapGet, MapDelete, PromiseCtor, PromiseResolve, PromiseThen,
 * StringCtor, framesOf, timers, callHost.
 * Defines: describe, turn (published as the global TURN_NAME), and the job slots `prepare` fills.
 */
import { HostOp, Job } from '../../realm-protocol.js';

export const TURNS_SOURCE = String.raw`
let job = ${Job.None}, jobA, jobB, jobC;
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
    case ${Job.Call}: return apply(a, b, c);
    case ${Job.Timer}: {
      const timer = apply(MapGet, timers, [a]);
      if (timer === undefined) return undefined;
      if (!timer.repeat) apply(MapDelete, timers, [a]);
      return apply(timer.callback, undefined, timer.args);
    }
    case ${Job.Settle}: if (b) a.resolve(c); else a.reject(c); return undefined;
    case ${Job.Observe}: {
      const token = b;
      const p = apply(PromiseResolve, PromiseCtor, [a]);
      apply(PromiseThen, p, [(v) => { callHost(${HostOp.Settled}, token, true, v); }, (e) => { callHost(${HostOp.Settled}, token, false, e, describe(e)); }]);
      return undefined;
    }
    case ${Job.Rethrow}: throw a;
    default: return undefined;
  }
}
function turn() {
  const kind = job;
  if (kind === ${Job.None}) return;
  const a = jobA, b = jobB, c = jobC;
  job = ${Job.None}; jobA = jobB = jobC = undefined;
  let value, threw = false;
  try { value = run(kind, a, b, c); } catch (e) { value = e; threw = true; }
  callHost(${HostOp.Result}, threw, value, threw ? describe(value) : undefined);
}
`;
