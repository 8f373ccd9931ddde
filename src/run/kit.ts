/**
 * The kit: what a realm's bootstrap (realm-source/) returns to the host, its one handle on the
 * realm's own functions and intrinsics.
 */
import type { RealmDeferred, TurnJob } from '../realm-protocol.js';

/** What the bootstrap returns; every function here runs only code of esm-sandbox's own. */
export interface Kit {
  readonly FAIL: object;
  readonly ObjectPrototype: object;
  turn(): void;
  fail(error: unknown): object;
  /** `meterMs`: the metered code's time for this turn (Infinity: none, a watchdog or nothing bounds it). */
  setInTurn(value: boolean, meterMs?: number): void;
  /** Has metered code run out of time (realm-source/meter.ts)? Sticky. */
  expired(): boolean;
  /** Metered code is out of time from now on (sticky, as if its clock had said so). */
  expire(): void;
  /** Runs the pending regular expression operation (realm-source/tame-regexp.ts); the host calls it under a watchdog. */
  runRegex(): void;
  /** Did a regular expression run since the last call? */
  regexUsed(): boolean;
  /** Gives back the BigInt builtins a metered realm starts without (realm-source/tame-bigint.ts). */
  enableBigInt(): void;
  /** The user's frames on the current stack, as rows of "url\tline\tcolumn\tfunction" (see realm-source/tame-stack.ts). */
  callerFrames(): string;
  /** Stores the job the next `turn()` runs. */
  prepare(...job: TurnJob): void;
  registerModule(url: string, edits: string): void;
  /** Defines the sandbox's frozen `process` (realm-source/process-shim.ts): `{ env: { NODE_ENV } }`. */
  installProcess(nodeEnv: string): void;
  /** `Function('return this')` answered with the realm's globalThis, `self` and `global` (realm-source/global-detection.ts). */
  installGlobalDetection(): void;
  /** Hands the realm a CommonJS file compiled in it (realm-source/commonjs.ts), under its graph key. */
  registerCommonJS(key: string, fn: object, filename: string, dirname: string): void;
  /** A value `require()` of `key` gives as it is (a JSON file's sandbox copy). */
  registerCommonJSValue(key: string, value: unknown): void;
  /** The loader a CommonJS file's facade module calls with its export names: `[module.exports, ...values]`. */
  commonjsLoader(key: string): object;
  object(nullProto: boolean): Record<PropertyKey, unknown>;
  array(): unknown[];
  /** A sandbox array of these host primitives (read by index: a host array has no getters of the user's). */
  arrayOf(values: readonly unknown[]): unknown[];
  date(ms: number): object;
  regexp(source: string, flags: string): object;
  map(): object;
  mapSet(map: object, key: unknown, value: unknown): void;
  set(): object;
  setAdd(set: object, value: unknown): void;
  arrayBuffer(length: number): ArrayBuffer;
  typed(tag: string, buffer: ArrayBuffer, byteOffset: number, length: number): object | undefined;
  /** A fresh error of this realm: of the constructor `base` (default: the one `name` names, else Error), named `name`. */
  error(name: string, message: string, base?: string): object;
  bridge(id: number, name: string, length: number): (...args: unknown[]) => unknown;
  deferred(): RealmDeferred;
}
