/**
 * esm-sandbox: load untrusted ES modules in a hardened `node:vm` sandbox.
 * @packageDocumentation
 */
export { createSandbox, hasVmModules } from './sandbox/create.js';
export type {
  ConsoleHandler, ConsoleLevel, Diagnostic, EvaluateOptions, Isolation, ModuleDefinition, ModuleNamespace,
  PolicyOptions, Sandbox, SandboxOptions,
} from './types.js';
export {
  DeadlineError, DisposedError, EsmSandboxError, LinkError, LoadError, MemoryLimitError, MembraneError,
  ModuleNotAllowedError, PolicyError, ResolveError, SandboxError, SandboxSyntaxError, TimeoutError,
  type ErrorCode, type SourceLocation,
} from './errors/errors.js';
export { codeFrame } from './errors/frame.js';
