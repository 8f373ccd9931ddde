/**
 * Realm source: the sandbox's own `process`, for sandboxes with packages only: the host installs
 * it through the kit (`installProcess`) after the realm is adopted, before any user code runs, so
 * a realm made ahead of need has none until then. Bundled libraries branch on `process.env.NODE_ENV`; this answers them
 * with a frozen object made here, holding nothing but `env: { NODE_ENV }`. No host value is behind
 * it, and it is a global like the realm's others: sandbox code may shadow or replace it.
 *
 * In scope: g, ObjectFreeze, hide. Defines: installProcess (handed out by the kit).
 */
export const PROCESS_SHIM_SOURCE = String.raw`
const installProcess = (NODE_ENV) => { hide(g, 'process', ObjectFreeze({ env: ObjectFreeze({ NODE_ENV: '' + NODE_ENV }) })); };
`;
