/**
 * Verdicts of escape attempts, shared by the core and security suites. A fixture reports each
 * attempt as `{ escaped, ownRealm, name }`; the attempt failed when nothing escaped and the error
 * it got was made by the sandbox's own realm.
 */
import { expect } from 'vitest';
import type { ModuleNamespace, Sandbox } from '../../src/index.js';

export interface Verdict {
  escaped: boolean;
  name?: string;
  ownRealm?: boolean;
  value?: string;
}

/**
 * The attempt failed with a value of the sandbox's own realm: `EvalError` where it reached the
 * sandbox's Function (which may not compile strings), or the given error names otherwise.
 */
export function expectBlocked(verdict: unknown, label = 'attempt', names: readonly string[] = ['EvalError']): void {
  const v = verdict as Verdict;
  expect(v, `${label}: no verdict`).toBeTypeOf('object');
  expect(v.escaped, `${label}: escaped with ${String(v.value)}`).toBe(false);
  expect(v.ownRealm, `${label}: the error came from another realm`).toBe(true);
  expect(names, `${label}: unexpected ${String(v.name)}`).toContain(v.name);
}

/** Every verdict (an object with `escaped`) anywhere inside a fixture's result. */
function verdicts(value: unknown, path = 'result', out: Array<[string, Verdict]> = []): Array<[string, Verdict]> {
  if (value === null || typeof value !== 'object') return out;
  if ('escaped' in value) {
    out.push([path, value as Verdict]);
    return out;
  }
  for (const [key, inner] of Object.entries(value)) verdicts(inner, `${path}.${key}`, out);
  return out;
}

/** Every verdict inside `value` failed in the sandbox's realm; at least `min` of them exist. */
export function expectAllBlocked(value: unknown, min = 1, names: readonly string[] = ['EvalError', 'TypeError']): void {
  const found = verdicts(value);
  expect(found.length, 'verdicts found').toBeGreaterThanOrEqual(min);
  for (const [path, verdict] of found) expectBlocked(verdict, path, names);
}

/** Every `own`/`ownRealm`/`*IsOwn` flag inside `value` is true. */
export function expectAllOwn(value: unknown, path = 'result'): void {
  if (value === null || typeof value !== 'object') return;
  for (const [key, inner] of Object.entries(value)) {
    if (/^own$|^ownRealm$|IsOwn$/.test(key)) expect(inner, `${path}.${key}`).toBe(true);
    else expectAllOwn(inner, `${path}.${key}`);
  }
}

type Fn = (...args: unknown[]) => Promise<unknown>;
export const call = (ns: ModuleNamespace, name: string, ...args: unknown[]) => (ns[name] as Fn)(...args);

/** Import a fixture and call one export (each call crosses as a promise). */
export async function run<T = unknown>(sandbox: Sandbox, file: string, name: string, ...args: unknown[]): Promise<T> {
  return call(await sandbox.import(file), name, ...args) as Promise<T>;
}
