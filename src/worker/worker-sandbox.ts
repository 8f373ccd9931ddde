import { EsmSandboxError } from '../errors/errors.js';
import type { NormalizedOptions } from '../sandbox/options.js';
import type { ModuleNamespace, Sandbox, SandboxOptions } from '../types.js';

export class WorkerSandbox implements Sandbox {
  readonly isolation = 'worker' as const;
  readonly root: string;
  readonly disposed = false;
  constructor(_options: SandboxOptions, normalized: NormalizedOptions) { this.root = normalized.root; }
  import<T extends ModuleNamespace>(): Promise<T> { return Promise.reject(new EsmSandboxError('ERR_SANDBOX_UNSUPPORTED', 'worker isolation: not yet')); }
  evaluate<T extends ModuleNamespace>(): Promise<T> { return Promise.reject(new EsmSandboxError('ERR_SANDBOX_UNSUPPORTED', 'worker isolation: not yet')); }
  async dispose(): Promise<void> {}
  [Symbol.asyncDispose](): Promise<void> { return this.dispose(); }
}
