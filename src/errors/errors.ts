/**
 * Errors are part of the API: one class per kind, a stable `code`, and where the problem is
 * (module URL, 1-based line and column, code frame). Their `stack` shows the user's files,
 * never esm-sandbox internals or `evalmachine.<anonymous>`.
 */
import type { Diagnostic } from './diagnostic.js';

/** Stable codes, one per error class. */
export type ErrorCode =
  | 'ERR_SANDBOX_SYNTAX'
  | 'ERR_SANDBOX_MODULE_NOT_ALLOWED'
  | 'ERR_SANDBOX_RESOLVE'
  | 'ERR_SANDBOX_LOAD'
  | 'ERR_SANDBOX_LINK'
  | 'ERR_SANDBOX_POLICY'
  | 'ERR_SANDBOX_THROWN'
  | 'ERR_SANDBOX_TIMEOUT'
  | 'ERR_SANDBOX_DEADLINE'
  | 'ERR_SANDBOX_MEMORY'
  | 'ERR_SANDBOX_CRASHED'
  | 'ERR_SANDBOX_DISPOSED'
  | 'ERR_SANDBOX_MEMBRANE'
  | 'ERR_SANDBOX_UNSUPPORTED'
  | 'ERR_SANDBOX_CONFIG'
  | 'ERR_SANDBOX_EXPRESSION_SYNTAX'
  | 'ERR_SANDBOX_EXPRESSION_REFUSED'
  | 'ERR_SANDBOX_EXPRESSION_RUNTIME'
  | 'ERR_SANDBOX_BUDGET'
  | 'ERR_SANDBOX_PLUGIN';

/** Where an error points in the user's source. */
export interface SourceLocation {
  /** Module URL, e.g. `file:///app/plugins/main.mjs`. */
  url?: string;
  /** 1-based line. */
  line?: number;
  /** 1-based column. */
  column?: number;
  /** A few source lines with a caret under the column. */
  frame?: string;
}

export interface EsmSandboxErrorOptions extends SourceLocation {
  cause?: unknown;
  /** Stack lines (`    at ...`) from the sandbox, already filtered to the user's files. */
  frames?: string;
}

/** Base class: every error esm-sandbox raises is an `EsmSandboxError` with a `code`. */
export class EsmSandboxError extends Error {
  readonly code: ErrorCode;
  readonly url: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly frame: string | undefined;

  constructor(code: ErrorCode, message: string, options: EsmSandboxErrorOptions = {}) {
    // The host stack is replaced below, so V8 need not capture it (a dispose() makes one of these).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(withLocation(message, options), options.cause === undefined ? undefined : { cause: options.cause });
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.name = new.target.name;
    this.code = code;
    this.url = options.url;
    this.line = options.line;
    this.column = options.column;
    this.frame = options.frame;
    // The host stack of this error is esm-sandbox's own machinery: replace it with what the user needs.
    const head = `${this.name} [${code}]: ${this.message}`;
    const frameText = options.frame ? `\n\n${options.frame}\n` : '';
    const at =
      options.frames ?? (options.url ? `    at ${options.url}${options.line ? `:${options.line}:${options.column ?? 1}` : ''}` : '');
    // Assigned, not redefined: on Node 20 `defineProperty` over V8's own `stack` formats the host
    // stack first (Error.prepareStackTrace and all, ~5 µs; far more under a source-map hook) only
    // to throw it away. Assignment keeps the property writable, configurable and non-enumerable.
    this.stack = head + frameText + (at ? `\n${at}` : '');
  }
}

function withLocation(message: string, loc: SourceLocation): string {
  if (!loc.url || message.includes(loc.url)) return message;
  return `${message} (${loc.url}${loc.line ? `:${loc.line}:${loc.column ?? 1}` : ''})`;
}

/**
 * " from file:///x.mjs:3:15": the importing file with the import's line:column, so the message alone
 * points at the import (withLocation adds nothing once the message names the URL).
 */
function importedFrom(referrer: string | undefined, loc: SourceLocation): string {
  if (!referrer) return '';
  const at = loc.url === referrer && loc.line ? `:${loc.line}:${loc.column ?? 1}` : '';
  return ` from ${referrer}${at}`;
}

/** The module's source does not parse. */
export class SandboxSyntaxError extends EsmSandboxError {
  constructor(message: string, options: EsmSandboxErrorOptions) {
    super('ERR_SANDBOX_SYNTAX', message, options);
  }
}

/** An import names something outside the allow-list (a bare specifier, `node:`, `data:`, `http:`...). */
export class ModuleNotAllowedError extends EsmSandboxError {
  readonly specifier: string;
  readonly referrer: string | undefined;
  constructor(
    specifier: string,
    referrer: string | undefined,
    options: EsmSandboxErrorOptions = {},
    reason = 'it is not in the allow-list (`modules`)',
  ) {
    super('ERR_SANDBOX_MODULE_NOT_ALLOWED', `Cannot import "${specifier}"${importedFrom(referrer, options)}: ${reason}`, options);
    this.specifier = specifier;
    this.referrer = referrer;
  }
}

/** A relative or absolute path that cannot be used: outside `root`, missing, a directory, a bad URL. */
export class ResolveError extends EsmSandboxError {
  readonly specifier: string;
  readonly referrer: string | undefined;
  constructor(specifier: string, referrer: string | undefined, reason: string, options: EsmSandboxErrorOptions = {}) {
    super('ERR_SANDBOX_RESOLVE', `Cannot resolve "${specifier}"${importedFrom(referrer, options)}: ${reason}`, options);
    this.specifier = specifier;
    this.referrer = referrer;
  }
}

/** A file was found but cannot be loaded as a module (binary, too large, unreadable, bad JSON). */
export class LoadError extends EsmSandboxError {
  constructor(message: string, options: EsmSandboxErrorOptions = {}) {
    super('ERR_SANDBOX_LOAD', message, options);
  }
}

/** Linking failed: an imported name does not exist, or an import attribute is wrong. */
export class LinkError extends EsmSandboxError {
  constructor(message: string, options: EsmSandboxErrorOptions = {}) {
    super('ERR_SANDBOX_LINK', message, options);
  }
}

/** The policy found errors; `diagnostics` holds every finding of the whole graph. */
export class PolicyError extends EsmSandboxError {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const first = errors[0] ?? diagnostics[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    super(
      'ERR_SANDBOX_POLICY',
      first ? `${first.message} [${first.ruleId}]${more}` : 'Policy violation',
      first
        ? {
            url: first.file,
            line: first.line,
            column: first.column,
            frame: first.frame,
          }
        : {},
    );
    this.diagnostics = diagnostics;
  }
}

/** Sandbox code threw (or rejected with) something. `thrown` is a host copy of the value. */
export class SandboxError extends EsmSandboxError {
  /** The sandbox error's own name (`TypeError`, `MyError`...), or `typeof` for non-errors. */
  readonly sandboxName: string;
  /** A host copy of what was thrown: plain data, never the sandbox object itself. */
  readonly thrown: unknown;
  constructor(sandboxName: string, message: string, thrown: unknown, options: EsmSandboxErrorOptions = {}) {
    super('ERR_SANDBOX_THROWN', `${sandboxName}: ${message}`, options);
    this.sandboxName = sandboxName;
    this.thrown = thrown;
  }
}

/** One turn ran longer than `timeout` ms. The sandbox is disposed. */
export class TimeoutError extends EsmSandboxError {
  readonly timeout: number;
  constructor(timeout: number, what: string) {
    super('ERR_SANDBOX_TIMEOUT', `Sandbox code ran longer than the ${timeout} ms timeout during ${what}; the sandbox was disposed`);
    this.timeout = timeout;
  }
}

/**
 * An operation (import, call) did not finish within `deadline` ms: the sandbox is disposed. Also
 * the rejection of a host-awaited sandbox promise that did not settle within `deadline` ms of the
 * first `await`; that one leaves the sandbox alive (`disposed` false).
 */
export class DeadlineError extends EsmSandboxError {
  readonly deadline: number;
  /** Whether the sandbox was disposed for it. */
  readonly disposed: boolean;
  constructor(deadline: number, what: string, disposed = true) {
    super(
      'ERR_SANDBOX_DEADLINE',
      `${what} did not finish within the ${deadline} ms deadline${disposed ? '; the sandbox was disposed' : ''}`,
    );
    this.deadline = deadline;
    this.disposed = disposed;
  }
}

/** The sandbox outgrew its memory limit (worker or process isolation). The sandbox is disposed. */
export class MemoryLimitError extends EsmSandboxError {
  constructor(limitMb: number | undefined) {
    super('ERR_SANDBOX_MEMORY', `Sandbox exceeded its memory limit${limitMb ? ` of ${limitMb} MB` : ''}; the sandbox was disposed`);
  }
}

/**
 * The process hosting the sandbox died (`process` isolation): a V8 abort, a signal, an exit, or a
 * turn stuck in a builtin that ignores termination, killed after its grace. Also a worker thread
 * that failed other than by running out of memory (`worker` isolation). Every sandbox in it is
 * disposed; the host and sandboxes elsewhere live on.
 */
export class SandboxCrashedError extends EsmSandboxError {
  /** @param carrier what died: the sandbox's child `process`, or its `worker thread`. */
  constructor(reason: string, carrier: 'process' | 'worker thread' = 'process') {
    super('ERR_SANDBOX_CRASHED', `The sandbox's ${carrier} died: ${reason}; the sandbox was disposed`);
  }
}

/** The sandbox was disposed (by the caller, a timeout, or a deadline) and cannot be used. */
export class DisposedError extends EsmSandboxError {
  constructor(reason: string) {
    super('ERR_SANDBOX_DISPOSED', `The sandbox is disposed: ${reason}`);
  }
}

/** A value cannot cross the boundary (a proxy, a getter, too deep, too large, an unsupported type). */
export class MembraneError extends EsmSandboxError {
  readonly path: string;
  constructor(reason: string, path: string) {
    super('ERR_SANDBOX_MEMBRANE', `Cannot pass ${path || 'value'} across the sandbox boundary: ${reason}`);
    this.path = path;
  }
}

/**
 * This Node.js cannot do what was asked: `isolation: 'context'` in a process without
 * `vm.SourceTextModule` (started without `--experimental-vm-modules`).
 */
export class UnsupportedError extends EsmSandboxError {
  constructor(message: string) {
    super('ERR_SANDBOX_UNSUPPORTED', message);
  }
}

/** A config file loaded but is not a config: no default export, or not an object (or a function or promise of one). */
export class ConfigError extends EsmSandboxError {
  constructor(message: string, options: EsmSandboxErrorOptions = {}) {
    super('ERR_SANDBOX_CONFIG', message, options);
  }
}

/** Where an error points inside an expression or template source (0-based offsets, 1-based line and column). */
export interface ExpressionLocation {
  start: number;
  end: number;
  line: number;
  column: number;
  frame: string;
}

/** Common shape of the expression errors: the range in the expression (or template) text. */
export abstract class ExpressionError extends EsmSandboxError {
  readonly start: number;
  readonly end: number;
  constructor(code: ErrorCode, message: string, at: ExpressionLocation, cause?: unknown) {
    super(code, `${message} (at ${at.line}:${at.column})`, { line: at.line, column: at.column, frame: at.frame, cause });
    this.start = at.start;
    this.end = at.end;
  }
}

/** An expression or template does not parse. */
export class ExpressionSyntaxError extends ExpressionError {
  constructor(message: string, at: ExpressionLocation) {
    super('ERR_SANDBOX_EXPRESSION_SYNTAX', message, at);
  }
}

/** An expression parses but uses something outside the expression grammar, or is too long or too deep. */
export class ExpressionRefusedError extends ExpressionError {
  constructor(message: string, at: ExpressionLocation) {
    super('ERR_SANDBOX_EXPRESSION_REFUSED', message, at);
  }
}

/** An evaluation failed: a property of `undefined`, a value that would have to be coerced, a host function that threw. */
export class ExpressionRuntimeError extends ExpressionError {
  constructor(message: string, at: ExpressionLocation, cause?: unknown) {
    super('ERR_SANDBOX_EXPRESSION_RUNTIME', message, at, cause);
  }
}

/** An evaluation needed more than its budget; `budget` is the limit it ran into. */
export class BudgetExceededError extends ExpressionError {
  readonly budget: number;
  constructor(budget: number, at: ExpressionLocation) {
    super('ERR_SANDBOX_BUDGET', `Expression evaluation exceeded its budget of ${budget} units`, at);
    this.budget = budget;
  }
}

/**
 * The plugin host could not use a plugin: an unknown id, an `activate`/`deactivate` export that is
 * not a function, a `dispose`/`deactivate` that did not finish in time, a closed host. Errors of
 * the plugin's own code keep their class (SandboxSyntaxError, PolicyError, SandboxError...).
 */
export class PluginError extends EsmSandboxError {
  /** The plugin's id, when one is concerned. */
  readonly plugin: string | undefined;
  constructor(message: string, plugin?: string, options: EsmSandboxErrorOptions = {}) {
    super('ERR_SANDBOX_PLUGIN', message, options);
    this.plugin = plugin;
  }
}
