/**
 * Names the rules look for. Every module in a sandbox shares these built-ins, so changing them
 * is changing every other module's world; the host globals do not exist in the sandbox at all.
 */
import { TYPED_ARRAY_NAMES, WEB_GLOBAL_NAMES } from '../../constants.js';

/** ECMAScript built-ins, the realm's web globals (WEB_GLOBAL_NAMES), and web-platform classes other sandboxes provide. */
export const BUILTINS: ReadonlySet<string> = new Set([
  'Object',
  'Function',
  'Array',
  'Number',
  'Boolean',
  'String',
  'Symbol',
  'BigInt',
  'Date',
  'Promise',
  'RegExp',
  'Proxy',
  'Reflect',
  'JSON',
  'Math',
  'Intl',
  'Atomics',
  'Error',
  'AggregateError',
  'EvalError',
  'RangeError',
  'ReferenceError',
  'SyntaxError',
  'TypeError',
  'URIError',
  'SuppressedError',
  'Map',
  'Set',
  'WeakMap',
  'WeakSet',
  'WeakRef',
  'FinalizationRegistry',
  'Iterator',
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  ...TYPED_ARRAY_NAMES,
  'DisposableStack',
  'AsyncDisposableStack',
  'Temporal',
  ...WEB_GLOBAL_NAMES,
  'Headers',
  'Request',
  'Response',
  'Blob',
  'parseInt',
  'parseFloat',
  'isNaN',
  'isFinite',
  'encodeURIComponent',
  'decodeURIComponent',
  'encodeURI',
  'decodeURI',
  'queueMicrotask',
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
]);

/** Why a host global is refused decides the message; see no-host-globals (`eval` and `Function`: no-code-generation). */
export type HostGlobalKind = 'host' | 'codegen' | 'shared-memory';

export const HOST_GLOBALS: ReadonlyMap<string, HostGlobalKind> = new Map<string, HostGlobalKind>([
  ['process', 'host'],
  ['require', 'host'],
  ['module', 'host'],
  ['exports', 'host'],
  ['global', 'host'],
  ['Buffer', 'host'],
  ['__dirname', 'host'],
  ['__filename', 'host'],
  ['WebAssembly', 'codegen'],
  ['SharedArrayBuffer', 'shared-memory'],
  ['Atomics', 'shared-memory'],
]);

/** The legacy accessors that reach or replace an object's prototype. */
export const PROTO_KEYS: ReadonlySet<string> = new Set([
  '__proto__',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

/** V8's stack-trace hooks; see no-stack-trace-api. */
export const STACK_TRACE_KEYS: ReadonlySet<string> = new Set(['prepareStackTrace', 'captureStackTrace', 'stackTraceLimit']);
