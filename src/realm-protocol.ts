/**
 * The protocol between a realm's bootstrap (sandbox side, run/realm-source/) and the host
 * (run/realm.ts): which job a turn runs and which operation the sandbox asks of the host. The
 * numbers are written here only; the realm source interpolates them and the host switches on
 * these names. Like constants.ts, it imports nothing, so every layer may use it.
 *
 * Both directions are positional calls (no object per call on the hot path); the tuple unions
 * below are their typed shape on the host side.
 */

/** Operations the sandbox asks of the host through the single host entry. */
export const HostOp = {
  Call: 1,
  TimerSet: 2,
  TimerClear: 3,
  Console: 4,
  Settled: 5,
  Result: 6,
  Memory: 7,
  Regex: 8,
  UrlParse: 9,
  UrlSet: 10,
  Random: 11,
  RandomUUID: 12,
  Now: 13,
  TimeOrigin: 14,
  Require: 15,
} as const;

/** Work the host asks the sandbox to do inside a turn. */
export const Job = { None: 0, Call: 1, Timer: 2, Settle: 3, Observe: 4, Rethrow: 5 } as const;
export type JobKind = (typeof Job)[keyof typeof Job];

/** Levels of the sandbox's `console`, passed to the bootstrap as one string. */
export const CONSOLE_LEVELS = ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'table'] as const;
export type ConsoleLevel = (typeof CONSOLE_LEVELS)[number];

/** The strings the realm's `describe()` takes from a thrown value inside the turn. */
export type ThrownInfo = readonly [name: string, message: string, stack: string, code: string, frames: string];

/** A promise of the realm with its resolvers (the kit's `deferred()`). */
export interface RealmDeferred {
  promise: object;
  resolve(value: unknown): void;
  reject(reason: unknown): void;
}

/** One turn's job, as the host hands it to the realm (`Realm.turn`, `Kit.prepare`). */
export type TurnJob =
  /** Nothing: the turn only drains the context's microtasks. */
  | [kind: typeof Job.None]
  /** Call a sandbox function with sandbox arguments. */
  | [kind: typeof Job.Call, fn: unknown, receiver: unknown, args: unknown[]]
  /** Run the callback of the realm's timer `id` (a repeating one stays registered). */
  | [kind: typeof Job.Timer, id: number]
  /** Settle a realm promise that stands for a host promise. */
  | [kind: typeof Job.Settle, deferred: RealmDeferred, ok: boolean, value: unknown]
  /** Watch a sandbox promise; its outcome comes back as `HostOp.Settled` with `token`. */
  | [kind: typeof Job.Observe, promise: object, token: number]
  /** Throw `value` again, so that its description is taken inside a turn. */
  | [kind: typeof Job.Rethrow, value: unknown];

/**
 * One request of the sandbox to the host, as the host entry receives it (`Realm.hostEntry`). Each
 * is five positions long, unused ones undefined, so that the entry's positional parameters narrow
 * together on `op`.
 */
export type HostRequest =
  | [op: typeof HostOp.Call, bridgeId: number, args: unknown[], c: undefined, d: undefined]
  | [op: typeof HostOp.TimerSet, id: number, ms: number, repeat: boolean, d: undefined]
  | [op: typeof HostOp.TimerClear, id: number, b: undefined, c: undefined, d: undefined]
  | [op: typeof HostOp.Console, level: ConsoleLevel, args: unknown[], c: undefined, d: undefined]
  | [op: typeof HostOp.Settled, token: number, ok: boolean, value: unknown, info: ThrownInfo | undefined]
  /** The turn ended: what its job returned or threw, and the thrown value's description. */
  | [op: typeof HostOp.Result, threw: boolean, value: unknown, info: ThrownInfo | undefined, d: undefined]
  /** A turn tried to allocate more ArrayBuffer memory than its cap (it was refused). */
  | [op: typeof HostOp.Memory, a: undefined, b: undefined, c: undefined, d: undefined]
  /** Run the kit's pending regular expression under a watchdog of `ms` (realm-source/tame-regexp.ts); true if it finished. */
  | [op: typeof HostOp.Regex, ms: number, b: undefined, c: undefined, d: undefined]
  /** Parse `input` (against `base`) as Node's URL does: a realm array of its parts (URL_PARTS order), or undefined. */
  | [op: typeof HostOp.UrlParse, input: string, base: string | undefined, c: undefined, d: undefined]
  /** `href` with one part set (its URL setter's rules): the parts as UrlParse gives them, or undefined. */
  | [op: typeof HostOp.UrlSet, href: string, part: string, value: string, d: undefined]
  /** `bytes` random bytes, as a string of as many latin1 characters. */
  | [op: typeof HostOp.Random, bytes: number, b: undefined, c: undefined, d: undefined]
  | [op: typeof HostOp.RandomUUID, a: undefined, b: undefined, c: undefined, d: undefined]
  /** ms since the realm was adopted, coarsened (realm-source/web-platform.ts). */
  | [op: typeof HostOp.Now, a: undefined, b: undefined, c: undefined, d: undefined]
  /** When the realm was adopted, in ms since the epoch, coarsened. */
  | [op: typeof HostOp.TimeOrigin, a: undefined, b: undefined, c: undefined, d: undefined]
  /** A CommonJS `require(specifier)` in the file `referrer` (a graph key): the target's key, or the kit's FAIL mark. */
  | [op: typeof HostOp.Require, referrer: string, specifier: string, c: undefined, d: undefined];
