/**
 * "The host is unchanged", as one reusable check for security tests:
 * - a canary secret sits in the host's `process.env` (set when this module loads, so every worker
 *   thread started later inherits it too): an escape that reaches `process` can read it, and the
 *   check scans everything the host saw (results, errors, console lines, onError reports, the
 *   host's own unhandled rejections) for it;
 * - the own properties of the host's main prototypes and constructors, and its global's names,
 *   are snapshotted before a test and compared by identity after it;
 * - the host still serves another, fresh sandbox of the same isolation, whose realm is clean.
 *
 * `guardHost(kit)` inside a `describeEach` body installs all of it around every test and gives
 * back `observe()` (options wiring console and onError into the scan) and `seen()` (register a
 * value the host received).
 */
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { afterEach, beforeEach, expect } from 'vitest';
import type { SandboxOptions } from '../../src/index.js';
import type { IsolationKit } from './sandbox.js';

export const CANARY_NAME = 'ESM_SANDBOX_CANARY';
export const CANARY = `canary-${randomUUID()}`;
process.env[CANARY_NAME] = CANARY;

/** Host objects whose own properties (names and values, accessors by their functions) must not change. */
const WATCHED: Record<string, object> = {
  'Object.prototype': Object.prototype,
  'Array.prototype': Array.prototype,
  'Function.prototype': Function.prototype,
  'Promise.prototype': Promise.prototype,
  'Error.prototype': Error.prototype,
  'RegExp.prototype': RegExp.prototype,
  'String.prototype': String.prototype,
  'Number.prototype': Number.prototype,
  'Symbol.prototype': Symbol.prototype,
  'Map.prototype': Map.prototype,
  'Set.prototype': Set.prototype,
  'WeakMap.prototype': WeakMap.prototype,
  'Iterator.prototype': Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as object,
  Object,
  Array,
  Function,
  Promise,
  Error,
  Symbol,
  JSON,
  Reflect,
  Math,
  'process.env': process.env,
};

export interface HostSnapshot {
  props: Record<string, Map<PropertyKey, unknown>>;
  globals: string[];
  process: unknown;
  env: string | undefined;
}

function ownValues(target: object): Map<PropertyKey, unknown> {
  const out = new Map<PropertyKey, unknown>();
  for (const key of Reflect.ownKeys(target)) {
    const desc = Reflect.getOwnPropertyDescriptor(target, key);
    if (desc === undefined) continue;
    out.set(key, 'value' in desc ? desc.value : `${String(desc.get)}|${String(desc.set)}`);
  }
  return out;
}

export function snapshotHost(): HostSnapshot {
  return {
    props: Object.fromEntries(Object.entries(WATCHED).map(([name, target]) => [name, ownValues(target)])),
    // Names only: Node turns some lazy global accessors (crypto, navigator...) into values on first use.
    globals: Object.getOwnPropertyNames(globalThis).sort(),
    process: globalThis.process,
    env: process.env[CANARY_NAME],
  };
}

/** Every watched property that changed, appeared or vanished: `[]` when the host is untouched. */
export function hostChanges(before: HostSnapshot, after: HostSnapshot): string[] {
  const out: string[] = [];
  for (const [name, was] of Object.entries(before.props)) {
    const now = after.props[name]!;
    for (const key of new Set([...was.keys(), ...now.keys()])) {
      if (!Object.is(was.get(key), now.get(key)) || was.has(key) !== now.has(key)) out.push(`${name}.${String(key)}`);
    }
  }
  if (before.globals.join() !== after.globals.join()) out.push('globalThis names');
  if (before.process !== after.process) out.push('globalThis.process');
  if (before.env !== after.env) out.push(`process.env.${CANARY_NAME}`);
  return out;
}

/** Text of anything the host received, deep and with hidden properties (copies: no sandbox hook runs). */
export function render(value: unknown): string {
  const parts = [
    inspect(value, {
      depth: 30,
      showHidden: true,
      getters: false,
      customInspect: false,
      maxArrayLength: 10_000,
      maxStringLength: Infinity,
    }),
  ];
  if (value instanceof Error) parts.push(String(value.stack), String(value.message));
  return parts.join('\n');
}

export interface HostGuard {
  /** Options that route the sandbox's console and onError into the canary scan. */
  observe(options?: SandboxOptions): SandboxOptions;
  /** Register a value (result or caught error) the host received; it is scanned for the canary. */
  seen<T>(value: T): T;
  /** Console lines and onError reports of the current test. */
  readonly log: unknown[];
}

/**
 * Around every test of a `describeEach` body: snapshot the host, collect what it received, and
 * afterwards require no canary anywhere, no host change, no host unhandled rejection, and a fresh
 * sandbox of the same isolation that still works and sees a clean realm.
 */
export function guardHost(kit: IsolationKit): HostGuard {
  let before: HostSnapshot;
  const log: unknown[] = [];
  const received: unknown[] = [];
  const hostRejections: unknown[] = [];
  const onRejection = (reason: unknown) => {
    hostRejections.push(reason);
  };
  beforeEach(() => {
    log.length = 0;
    received.length = 0;
    hostRejections.length = 0;
    process.on('unhandledRejection', onRejection);
    before = snapshotHost();
  });
  afterEach(async () => {
    // Let late timer turns and rejections of the test's sandboxes land first.
    await new Promise((resolve) => setTimeout(resolve, 20));
    process.off('unhandledRejection', onRejection);
    const text = [...received, ...log, ...hostRejections].map(render).join('\n');
    expect(text.includes(CANARY), 'the canary secret reached the host').toBe(false);
    expect(hostChanges(before, snapshotHost()), 'host prototypes or globals changed').toEqual([]);
    expect(hostRejections.map(render), 'unhandled rejections surfaced on the host').toEqual([]);
    await expectServesAnother(kit);
  });
  return {
    log,
    observe: (options = {}) => ({
      ...options,
      console: (level, args) => {
        log.push([level, ...args]);
      },
      onError: (error) => {
        log.push(error);
      },
    }),
    seen: (value) => {
      received.push(value);
      return value;
    },
  };
}

/** A fresh sandbox of the same isolation still loads, computes, and sees untouched builtins. */
export async function expectServesAnother(kit: IsolationKit): Promise<void> {
  const fresh = kit.make({ policy: false, timeout: 2_000 });
  const ns = await fresh.evaluate(`
    const clean = [Object.prototype, Array.prototype, Function.prototype, Promise.prototype, Error]
      .every((o) => Object.getOwnPropertyNames(o).every((k) => !/polluted|pwned/i.test(k)));
    export default { sum: [1, 2, 3].map((x) => x * 2).reduce((a, b) => a + b), json: JSON.stringify({ a: 1 }),
      clean, marker: typeof globalThis.pwned, proto: ({}).polluted };
  `);
  expect(ns.default).toEqual({ sum: 12, json: '{"a":1}', clean: true, marker: 'undefined', proto: undefined });
}
