/**
 * Realm source: the sandbox's own `process`, for sandboxes with packages only (NODE_ENV is then a
 * string, else undefined). Bundled libraries branch on `process.env.NODE_ENV`; this answers them
 * with a frozen object made here, holding nothing but `env: { NODE_ENV }`. No host value is behind
 * it, and it is a global like the realm's others: sandbox code may shadow or replace it.
 *
 * In scope: g, ObjectFreeze, hide, NODE_ENV.
 */
export const PROCESS_SHIM_SOURCE = String.raw`
if (typeof NODE_ENV === 'string') hide(g, 'process', ObjectFreeze({ env: ObjectFreeze({ NODE_ENV }) }));
`;
