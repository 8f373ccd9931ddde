/**
 * The expression grammar's fixed parts: the limits checked before parsing, the property names
 * never read, and the global names an expression may not use as scope variables.
 *
 * acorn parses recursively, so a source is scanned for its nesting depth before acorn sees it:
 * a 100,000-deep source is refused in a linear pass instead of overflowing the stack.
 */
import vm from 'node:vm';
import { WEB_GLOBAL_NAMES } from '../constants.js';
import { STDLIB_ROOTS } from './stdlib.js';

/** Longest source accepted by default (characters). */
export const DEFAULT_MAX_LENGTH = 10_000;
/** Deepest nesting of brackets, template interpolations and prefix operators accepted. */
export const MAX_DEPTH = 64;

/** Property names that lead to prototypes and constructors: refused as names, as literal keys, and as computed keys at run time. */
export const FORBIDDEN_KEYS = new Set([
  '__proto__',
  'constructor',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

/**
 * Names of the JavaScript and Node globals (as Vue's `isGloballyAllowed`, inverted): an expression
 * that names one of them is refused rather than read from the scope, so `process`, `globalThis`,
 * `Function` or `eval` can never mean anything, even if a scope happens to hold such a key. The
 * list is fixed (a fresh realm's builtins plus Node's and the web's), not the host's live
 * `globalThis`, so what an expression may name does not depend on what the host app defined.
 */
export const REFUSED_GLOBALS: ReadonlySet<string> = new Set(
  [
    ...(vm.runInContext('Object.getOwnPropertyNames(globalThis)', vm.createContext()) as string[]),
    'globalThis',
    'global',
    'window',
    'self',
    'document',
    'process',
    'require',
    'module',
    'exports',
    'arguments',
    '__filename',
    '__dirname',
    'eval',
    'Function',
    'import',
    'this',
    'super',
    'new',
    'Reflect',
    'Proxy',
    'Symbol',
    'WebAssembly',
    'Buffer',
    'console',
    'setTimeout',
    'setInterval',
    'setImmediate',
    'clearTimeout',
    'clearInterval',
    'clearImmediate',
    'queueMicrotask',
    'fetch',
    'navigator',
    ...WEB_GLOBAL_NAMES,
    'Blob',
    'MessageChannel',
    'MessagePort',
    'BroadcastChannel',
    'WebSocket',
    'Headers',
    'Request',
    'Response',
    'FormData',
  ].filter((name) => !STDLIB_ROOTS.has(name) && name !== 'undefined' && name !== 'NaN' && name !== 'Infinity'),
);

/** Keywords acorn parses as a prefix, recursing once each. */
const PREFIX_WORDS = new Set(['typeof', 'void', 'delete', 'new', 'await', 'yield']);
const isWordStart = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x24;
const isWordPart = (c: number) => isWordStart(c) || (c >= 0x30 && c <= 0x39);

/** What the scan found: the first limit crossed, and where a template interpolation's `}}` is. */
export interface Prescan {
  failure?: { reason: string; at: number };
  /** Offset of the `}}` that closes the interpolation (templates), else `end`. */
  stop: number;
}

/**
 * Linear checks before parsing: the length, and the nesting depth of `( [ {` (and so `${`),
 * counting a run of prefix operators as nesting too (acorn recurses once per `!`, `-`, `~`).
 * Quoted strings are skipped roughly; the scan only has to bound acorn's recursion, and the
 * text acorn is given ends where the scan stopped.
 * @param closing stop at the first `}}` outside any bracket (a template interpolation's end)
 */
export function prescan(text: string, start: number, end: number, maxLength: number, closing = false): Prescan {
  let depth = 0;
  let prefixRun = 0;
  const limit = Math.min(end, start + maxLength + 1);
  for (let i = start; i < limit; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 || c === 0x27) {
      // ' or "
      for (i++; i < limit && text.charCodeAt(i) !== c; i++) if (text.charCodeAt(i) === 0x5c) i++;
      prefixRun = 0;
      continue;
    }
    if (closing && depth === 0 && c === 0x7d && text.charCodeAt(i + 1) === 0x7d) return { stop: i };
    if (c === 0x28 || c === 0x5b || c === 0x7b)
      depth++; // ( [ {
    else if (c === 0x29 || c === 0x5d || c === 0x7d) depth--;
    if (isWordStart(c)) {
      const wordStart = i;
      while (i + 1 < limit && isWordPart(text.charCodeAt(i + 1))) i++;
      if (PREFIX_WORDS.has(text.slice(wordStart, i + 1))) prefixRun++;
      else prefixRun = 0;
    } else if (c === 0x21 || c === 0x2d || c === 0x2b || c === 0x7e)
      prefixRun++; // ! - + ~
    else if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) prefixRun = 0;
    if (depth > MAX_DEPTH || prefixRun > MAX_DEPTH)
      return { failure: { reason: `the expression is nested more than ${MAX_DEPTH} levels deep`, at: i }, stop: end };
  }
  if (limit - start > maxLength)
    return { failure: { reason: `the expression is longer than the limit of ${maxLength} characters`, at: start + maxLength }, stop: end };
  return { stop: end };
}

/** Node types outside the language, with the reason given when one is met. */
export const REFUSED_NODES: Record<string, string> = {
  AssignmentExpression: 'assignment is not part of the expression language',
  UpdateExpression: '`++` and `--` are not part of the expression language',
  NewExpression: '`new` is not part of the expression language',
  ThisExpression: '`this` is not part of the expression language',
  TaggedTemplateExpression: 'tagged templates are not part of the expression language',
  SequenceExpression: 'the comma operator is not part of the expression language',
  FunctionExpression: 'function expressions are not part of the expression language',
  ClassExpression: 'classes are not part of the expression language',
  AwaitExpression: '`await` is not part of the expression language',
  YieldExpression: '`yield` is not part of the expression language',
  ImportExpression: '`import()` is not part of the expression language',
  MetaProperty: '`import.meta` and `new.target` are not part of the expression language',
  Super: '`super` is not part of the expression language',
  SpreadElement: 'spread `...` is not part of the expression language',
};
