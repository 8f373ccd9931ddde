/**
 * Defaults and names more than one layer needs, written once. It imports nothing, so the lowest
 * layer (the realm's source text, the resolver, the policy) can use it; names that reach the realm
 * are interpolated into its source, never retyped there.
 */

/** Milliseconds one turn may run (`SandboxOptions.timeout`). */
export const DEFAULT_TIMEOUT_MS = 1_000;

/** Milliseconds of wall clock one operation may take (`SandboxOptions.deadline`). */
export const DEFAULT_DEADLINE_MS = 10_000;

/** Largest module file, in bytes (`SandboxOptions.maxModuleBytes`). */
export const DEFAULT_MAX_MODULE_BYTES = 16 * 1024 * 1024;

/** The typed array constructors a realm may have (Float16Array only on engines that ship it). */
export const TYPED_ARRAY_NAMES = [
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
  'Float16Array',
] as const;

/** Prefix of esm-sandbox's own names inside a realm: user code may neither declare nor reference one. */
export const RESERVED_PREFIX = '__esmSandbox';
/** The realm global every guarded `catch` binding passes through (transform/guard.ts). */
export const GUARD_NAME = `${RESERVED_PREFIX}Guard`;
/** The realm global the host's turn script calls (run/realm.ts). */
export const TURN_NAME = `${RESERVED_PREFIX}Turn`;

/**
 * The one body a sandbox with packages compiles: `return this`, optionally after a 'use strict'
 * directive (ended by `;` or a line break, as ASI would), whitespace and a final `;` allowed; group 1
 * is the directive's quote. The realm's `Function` (run/realm-source/global-detection.ts) answers
 * it, and no-code-generation lets exactly it through.
 */
export const GLOBAL_DETECTION_BODY = String.raw`^\s*(?:(['"])use strict\1[ \t]*(?:;|\r?\n)\s*)?return[ \t]+this[ \t]*;?\s*$`;

/** The module-scoped countdown of metered code (transform/meter.ts). */
export const METER_COUNT_NAME = `${RESERVED_PREFIX}Ticks`;
/** The realm global metered code calls when its countdown runs out (run/realm-source/meter.ts). */
export const METER_REFILL_NAME = `${RESERVED_PREFIX}Refill`;
/** One budget check, as an expression: also true of a counter still `undefined` (NaN refills). */
export const METER_CHECK = `--${METER_COUNT_NAME}>=0||(${METER_COUNT_NAME}=${METER_REFILL_NAME}())`;
/** Marks the brackets the metering rewrite adds, so that `Function.prototype.toString` can take them out again. */
export const METER_MARK = `/*${RESERVED_PREFIX}*/`;

/**
 * The web globals every realm has (run/realm-source/web-*.ts, installed on first use): the pure part of
 * the WinterTC Minimum Common API, made in the realm, none of them holding any authority. The policy
 * counts them among the built-ins (writing one is reported like writing `Array`), and expressions,
 * which have none of them, refuse the names.
 */
export const WEB_GLOBAL_NAMES = [
  'URL',
  'URLSearchParams',
  'TextEncoder',
  'TextDecoder',
  'atob',
  'btoa',
  'structuredClone',
  'DOMException',
  'Event',
  'CustomEvent',
  'EventTarget',
  'AbortController',
  'AbortSignal',
  'performance',
  'crypto',
] as const;

/** Values one `structuredClone` call inside a realm may copy (as many as one crossing of the membrane). */
export const MAX_CLONE_VALUES = 1_000_000;
