/**
 * `createSandbox`: one function for every isolation, so users switch with one option. It sits
 * above both `sandbox/` (context isolation) and `worker/` (worker and process isolation, which
 * build context sandboxes inside their workers), so each of those depends on the layer below only.
 */
import vm from 'node:vm';
import { UnsupportedError } from './errors/errors.js';
import type { Sandbox, SandboxOptions } from './types.js';
import { ContextSandbox } from './sandbox/context-sandbox.js';
import { normalizeOptions } from './sandbox/options.js';
import { WorkerSandbox } from './worker/worker-sandbox.js';

/** Does this process have `vm.SourceTextModule` (started with `--experimental-vm-modules`)? */
export const hasVmModules = typeof vm.SourceTextModule === 'function';

/**
 * Create a sandbox. With `isolation: 'auto'` (the default) it runs in this thread when the process
 * has `vm.SourceTextModule`, and in a worker thread started with the flag otherwise, so nobody has
 * to pass `--experimental-vm-modules`.
 */
export function createSandbox(options: SandboxOptions = {}): Sandbox {
  const isolation = options.isolation ?? 'auto';
  if (isolation !== 'auto' && isolation !== 'context' && isolation !== 'worker' && isolation !== 'process') {
    throw new TypeError(`isolation must be "auto", "context", "worker" or "process", got ${String(isolation)}`);
  }
  if (isolation === 'context' && options.memoryLimitMb !== undefined) {
    // A context shares the host's heap: silently ignoring the cap would promise what nothing enforces.
    throw new TypeError('memoryLimitMb needs isolation "worker" or "process" (or "auto"): a "context" sandbox shares the host\'s heap');
  }
  const normalized = normalizeOptions(options);
  const useContext = isolation === 'context' || (isolation === 'auto' && hasVmModules && options.memoryLimitMb === undefined);
  if (useContext) {
    if (!hasVmModules) {
      throw new UnsupportedError(
        'isolation "context" needs vm.SourceTextModule: start node with --experimental-vm-modules, or use isolation "auto" or "worker"',
      );
    }
    return new ContextSandbox(normalized);
  }
  return new WorkerSandbox(options, normalized);
}
