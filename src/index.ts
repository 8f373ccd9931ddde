/**
 * esm-sandbox: load untrusted ES modules in a hardened `node:vm` sandbox.
 * @packageDocumentation
 */
export { createSandbox, hasVmModules } from './create.js';
export type {
  ConsoleHandler,
  ConsoleLevel,
  Diagnostic,
  EvaluateOptions,
  Isolation,
  ModuleDefinition,
  ModuleNamespace,
  PolicyOptions,
  Sandbox,
  SandboxOptions,
} from './types.js';
export {
  ConfigError,
  DeadlineError,
  DisposedError,
  EsmSandboxError,
  LinkError,
  LoadError,
  MemoryLimitError,
  MembraneError,
  ModuleNotAllowedError,
  PluginError,
  PolicyError,
  ResolveError,
  SandboxCrashedError,
  SandboxError,
  SandboxSyntaxError,
  TimeoutError,
  UnsupportedError,
  type ErrorCode,
  type SourceLocation,
  BudgetExceededError,
  ExpressionError,
  ExpressionRefusedError,
  ExpressionRuntimeError,
  ExpressionSyntaxError,
  type ExpressionLocation,
} from './errors/errors.js';
export { codeFrame } from './errors/frame.js';
export { loadConfig, type ConfigContext, type LoadConfigOptions, type LoadedConfig } from './config/load-config.js';
export { SourceModule } from './link/allowed.js';
export { stdConfig, type StdConfigOptions } from './std/config.js';
export { stdPath } from './std/path.js';
export { createSandboxPool, type SandboxPool, type SandboxPoolOptions, type SandboxPoolStats } from './worker/pool.js';
export type { RecycleBudget } from './worker/lane.js';
export {
  compileExpression,
  clearExpressionCache,
  DEFAULT_BUDGET,
  type Expression,
  type ExpressionOptions,
  type HostFunction,
  type Measured,
} from './expression/compile.js';
export { compileTemplate, type Template, type TemplateOptions } from './expression/template.js';
export { createPluginHost, type PluginHost } from './plugins/host.js';
export type {
  PluginHandle,
  PluginHostEvents,
  PluginHostOptions,
  PluginStatus,
  PreparePhase,
  ReloadedEvent,
  ReloadResult,
  RolledBackEvent,
} from './plugins/types.js';
export { chokidarWatcher, sharedWatcher, type PluginWatcher, type SharedWatcherSource, type WatchListener } from './plugins/watcher.js';
