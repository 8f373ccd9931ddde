/**
 * Warm realms: contexts created and bootstrapped ahead of need, so that a new sandbox takes one
 * that is ready instead of paying for `vm.createContext` and the bootstrap on its caller's path
 * (together most of what creating a sandbox costs).
 *
 * A shell is a context whose bootstrap has run with a host entry that forwards to whichever realm
 * adopts it; before that no user code has run in it, and nothing can reach the entry.
 *
 * A context that never compiled a module is collected like any object, so a shell that is never
 * taken costs nothing once dropped (Node keeps only contexts that held a module, nodejs/node#41101).
 * (Priming a shell with an empty module, which saves raw `node:vm` a fifth of a first import, gave
 * no gain here in an interleaved A/B, and would have kept every shell never taken: not done.)
 *
 * The pool is small and bounded, starts with the first realm a process makes (a process that
 * never makes a sandbox makes no shell), and refills one shell per macrotask after a take, never
 * inside the call that took one. Inside a worker thread the same module keeps a pool per thread.
 * The allocation cap is fixed at bootstrap, so shells are kept per cap, and refilled for the cap
 * the last take asked for: every tenant of a worker thread asks for the same one (its heap cap).
 */
import vm from 'node:vm';
import { CONSOLE_LEVELS, type HostRequest } from '../realm-protocol.js';
import { ReflectDefineProperty, ReflectGetOwnPropertyDescriptor, ReflectGetPrototypeOf } from '../commons.js';
import { BOOTSTRAP_FILENAME, BOOTSTRAP_SOURCE } from './realm-source/index.js';
import type { Kit } from './kit.js';

export type HostEntry = (...request: HostRequest) => unknown;

/** A bootstrapped context, not yet a sandbox's. */
export interface RealmShell {
  readonly context: vm.Context;
  readonly kit: Kit;
  /** Route the bootstrap's host entry to `entry`; once only. */
  adopt(entry: HostEntry): void;
}

/** Shells kept ready: enough for a burst of two creations; more would only hold memory. */
const WARM_SHELLS = 2;
/** See scheduleRefill. */
const REFILL_DELAY_MS = 2;
/** The name a warm context has in debuggers (a context's name is fixed when it is created). */
const WARM_NAME = 'esm-sandbox (warm)';

/** V8's code cache of the bootstrap, when a boot file gave one (useBootstrapCache). */
let bootstrapCache: Buffer | undefined;
let bootstrapScript: vm.Script | undefined;
/** Compiled at the first realm, not at load: a thread that makes none compiles none (~3-4 ms of ~78 KB of source). */
const bootstrap = (): vm.Script =>
  (bootstrapScript ??= new vm.Script(BOOTSTRAP_SOURCE, { filename: BOOTSTRAP_FILENAME, cachedData: bootstrapCache }));

/**
 * The bootstrap's V8 code cache, as the build stored it beside a thread's bundle (load-bundle.cts):
 * in a new thread, compiling from it takes ~0.7 ms instead of ~3-4. Used only if given before the
 * first realm; a cache V8 rejects only means compiling from source.
 */
export function useBootstrapCache(cache: Buffer): void {
  if (bootstrapScript === undefined) bootstrapCache = cache;
}

/** V8's code cache of the bootstrap with every function compiled so far: what the build stores. */
export function bootstrapCacheData(): Buffer | undefined {
  return bootstrapScript?.createCachedData();
}

/** Ready shells by allocation cap (none: `undefined`). */
const pools = new Map<number | undefined, RealmShell[]>();
/** The cap the last take asked for: the one refilled. */
let warmCap: number | undefined;
let refilling = false;
/** See makeNoWarmRealms. */
let oneShot = false;

const pool = (cap: number | undefined): RealmShell[] => {
  let shells = pools.get(cap);
  if (shells === undefined) pools.set(cap, (shells = []));
  return shells;
};

/**
 * A shell for a new realm: a warm one when the realm is metered (fixed at bootstrap, and what
 * nearly every realm is), else one made now.
 */
export function takeShell(name: string, allocationCapBytes: number | undefined, metered: boolean): RealmShell {
  if (!metered) return createShell(name, allocationCapBytes, metered);
  warmCap = allocationCapBytes;
  const shell = pool(warmCap).pop() ?? createShell(name, allocationCapBytes, true);
  scheduleRefill();
  return shell;
}

/**
 * For a process that makes its sandboxes and ends (a CLI command): no shell is made ahead. A
 * refill would run in the middle of the command (its timer fires while files are read), for a
 * sandbox that is never made.
 */
export function makeNoWarmRealms(): void {
  oneShot = true;
}

/** Shells ready now for a cap (for tests). */
export const warmShells = (allocationCapBytes?: number): number => pool(allocationCapBytes).length;

function scheduleRefill(): void {
  if (oneShot || refilling || pool(warmCap).length >= WARM_SHELLS) return;
  refilling = true;
  // A timer, not a microtask or setImmediate of the caller's turn: the refill runs after the
  // caller's synchronous work, and an unref'd timer keeps no process alive. Not at 0 ms: a
  // sandbox is usually created to load something at once, and a refill due at once ran on that
  // load's path (in a worker thread, when creation and first request were two messages: worker
  // create + evaluate + dispose after an idle moment, median 1.81 → 1.40 ms and 2.27 → 1.60 ms
  // in two interleaved A/B runs).
  setTimeout(refill, REFILL_DELAY_MS).unref();
}

function refill(): void {
  refilling = false;
  if (pool(warmCap).length >= WARM_SHELLS) return;
  pool(warmCap).push(createShell(WARM_NAME, warmCap, true));
  scheduleRefill();
}

function createShell(name: string, allocationCapBytes: number | undefined, metered: boolean): RealmShell {
  const context = vm.createContext(contextTemplate() as vm.Context, {
    name,
    codeGeneration: { strings: false, wasm: false },
    microtaskMode: 'afterEvaluate',
  });
  let target: HostEntry | undefined;
  const forward: HostEntry = (...request) => target?.(...request);
  const setup = bootstrap().runInContext(context) as (host: unknown, levels: string, allocationCap: number, metered: boolean) => Kit;
  const kit = setup(forward, CONSOLE_LEVELS.join(','), allocationCapBytes ?? 0, metered);
  raiseStackTraceLimit(kit);
  return {
    context,
    kit,
    adopt(entry) {
      if (target !== undefined) throw new Error('a realm shell is adopted once');
      target = entry;
    },
  };
}

/**
 * Frames a sandbox error records. V8 counts the host's frames under a turn (the vm call, the
 * realm, the caller's own stack) against `Error.stackTraceLimit` too, and appends async frames
 * last: with the default 10, a host call into a 3-deep async chain kept only the innermost user
 * frame. The stack formatter drops every frame that is not the user's, so only they are shown.
 */
const SANDBOX_STACK_TRACE_LIMIT = 50;

/** Runs before any user code: the sandbox's `Error` has no accessors of the user's yet. */
function raiseStackTraceLimit(kit: Kit): void {
  const prototype = ReflectGetPrototypeOf(kit.error('Error', '')) as object;
  const constructor = ReflectGetOwnPropertyDescriptor(prototype, 'constructor')?.value as object | undefined;
  if (typeof constructor !== 'function') return;
  ReflectDefineProperty(constructor, 'stackTraceLimit', {
    value: SANDBOX_STACK_TRACE_LIMIT,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

/**
 * `DONT_CONTEXTIFY` (Node 20.18+, 22.8+) gives the context an ordinary global of its own realm.
 * Without it, a null-prototype object keeps `this.constructor` from reaching the host's `Object`.
 */
function contextTemplate(): unknown {
  return (vm.constants as unknown as { DONT_CONTEXTIFY?: symbol } | undefined)?.DONT_CONTEXTIFY ?? Object.create(null);
}
