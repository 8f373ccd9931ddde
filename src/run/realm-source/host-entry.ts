/**
 * Realm source: the sandbox's only way to the host. `host` is the host entry the bootstrap was
 * called with (run/realm.ts); it lives in this closure only, never where user code can reach it.
 * Requests are positional (`callHost(op, a, b, c, d)`, see HostRequest in realm-protocol.ts), so a
 * bridged call allocates nothing for the request itself.
 *
 * In scope: host, RangeErrorCtor, ObjectCreate, ObjectFreeze.
 * Defines: callHost, FAIL, takeStashed (and `stashed`, set by the kit's `fail`).
 */
export const HOST_ENTRY_SOURCE = String.raw`
// The host entry never throws on purpose. If calling it overflows the stack, the RangeError is
// born in the host realm: drop it unseen and raise one of ours.
function callHost(op, a, b, c, d) {
  try { return host(op, a, b, c, d); } catch { throw new RangeErrorCtor('Maximum call stack size exceeded'); }
}
const FAIL = ObjectFreeze(ObjectCreate(null));
let stashed;
function takeStashed() { const e = stashed; stashed = undefined; return e; }
`;
