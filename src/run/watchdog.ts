/**
 * Node's watchdog (`timeout` on `runInContext` and `evaluate`): recognising the error it throws,
 * and running one regular expression of a metered turn under a watchdog of its own.
 */
import vm from 'node:vm';
import { ReflectGetOwnPropertyDescriptor, isHostObject, isNativeError } from '../commons.js';

/**
 * Node's watchdog error. `runInContext` creates it in the *context's* realm (so `instanceof Error`
 * is false on the host), `module.evaluate` in the host's. Only own data properties are read: the
 * value may be a sandbox object, and nothing of the sandbox may run here.
 * @param hostOnly demand a host-realm error: where sandbox code can throw (a module's evaluation
 *   promise), a sandbox-made look-alike must not pass for a timeout.
 */
export const isTimeout = (error: unknown, hostOnly = false): boolean => {
  if (!isNativeError(error) || (hostOnly && !isHostObject(error))) return false;
  const code = ReflectGetOwnPropertyDescriptor(error, 'code');
  return code !== undefined && 'value' in code && code.value === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
};

/**
 * Regular expressions of a metered turn run here, under a watchdog (realm-source/tame-regexp.ts).
 * A context of its own with the default microtask mode: a run in the sandbox's context would
 * drain its microtask queue in the middle of the user's synchronous code. No user code ever
 * runs in this context's realm; the kit's function it calls does, in the sandbox's.
 */
let regexWork: (() => void) | undefined;
const regexGlobal = Object.create(null) as { run(): void };
regexGlobal.run = () => {
  const work = regexWork;
  regexWork = undefined;
  work?.();
};
// Made at the first watched run: a context costs a new thread ~1 ms, and most threads (a CLI
// command, a worker serving unmetered sandboxes) never run one.
let regexRunner: { context: vm.Context; script: vm.Script } | undefined;

/** Run `work` (the kit's pending regular expression) under a watchdog of `ms`; false if it ran out of time. */
export function runWatched(work: () => void, ms: number): boolean {
  const { context, script } = (regexRunner ??= {
    context: vm.createContext(regexGlobal, { name: 'esm-sandbox regular expressions' }),
    script: new vm.Script('run()', { filename: 'esm-sandbox:regex' }),
  });
  regexWork = work;
  try {
    script.runInContext(context, { timeout: Math.max(1, Math.ceil(ms)) });
    return true;
  } catch (error) {
    if (isTimeout(error)) return false;
    throw error;
  } finally {
    regexWork = undefined;
  }
}
