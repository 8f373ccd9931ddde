/**
 * Where a failure is in the user's source, when V8 does not say: the `import()` that asked for a
 * module (from the analysis, or the realm's caller frames), and the import a link error is about
 * (V8 names the specifier and the missing name, not the place).
 */
import type { ImportSite } from '../analyze/analyze.js';
import { ReflectGetOwnPropertyDescriptor } from '../commons.js';
import { LinkError, type SourceLocation } from '../errors/errors.js';
import { codeFrame } from '../errors/frame.js';
import { parseFrames } from '../errors/stack-frames.js';

/** What a located module offers: its graph key (URL) and the imports its analysis found. */
interface Located {
  key: string;
  imports: ImportSite[];
}

/**
 * Where an `import()` of `specifier` in `referrer` is. A literal specifier found by the analysis
 * is preferred (its column is the string's, as for static imports); otherwise the sandbox's
 * current stack, which holds the call while V8 runs importModuleDynamically.
 */
export function dynamicImportSite(
  referrer: string,
  specifier: string,
  imports: ImportSite[] | undefined,
  source: string | undefined,
  callerFrames: () => string,
): SourceLocation {
  const literal = imports?.filter((s) => s.dynamic && s.specifier === specifier) ?? [];
  let line: number | undefined;
  let column: number | undefined;
  if (literal.length === 1) {
    ({ line, column } = literal[0]!);
  } else {
    const frame = parseFrames(callerFrames()).find((f) => f.url === referrer);
    if (frame !== undefined) ({ line, column } = frame);
  }
  if (line === undefined || column === undefined) return { url: referrer };
  // V8 places the frame at the enclosing statement (`return import(x)`, Node 20) or at the argument
  // (Node 24): point at the `import(` on that line nearest before the frame, else the first after it.
  const text = literal.length === 1 ? undefined : source?.split(/\r\n|\r|\n|\u2028|\u2029/)[line - 1];
  if (text !== undefined) {
    const at = column;
    const calls = [...text.matchAll(/\bimport\s*\(/g)].map((m) => m.index + 1);
    const call = calls.filter((c) => c <= at).pop() ?? calls.find((c) => c > at);
    if (call !== undefined) column = call;
  }
  return { url: referrer, line, column, frame: source ? codeFrame(source, line, column - 1) : undefined };
}

/**
 * A link error at the import that asked for the missing name (several modules may import the same
 * specifier, each asking for different names): at the name, else at the specifier.
 */
export function locateLinkError(message: string, created: readonly Located[], sourceOf: (url: string) => string | undefined): LinkError {
  if (/Maximum call stack size exceeded/.test(message)) {
    // V8 links recursively: a very deep import chain overflows the stack. Say so, not just "stack".
    const entry = created[0]?.key;
    return new LinkError(
      `The import graph${entry ? ` of ${entry}` : ''} is nested too deeply to link (${created.length} new modules; the stack overflowed while linking). Flatten the chain of imports, or use isolation 'worker', whose thread has a larger stack`,
      { url: entry },
    );
  }
  // "Detected cycle while resolving name 'x' in './b.mjs'" names the specifier after "in".
  const specifier = /module '([^']+)'/.exec(message)?.[1] ?? /while resolving name '[^']+' in '([^']+)'/.exec(message)?.[1];
  const name = /(?:export named|for name|resolving name) '([^']+)'/.exec(message)?.[1];
  const at = (record: Located, place: { line: number; column: number }): LinkError => {
    const source = sourceOf(record.key);
    return new LinkError(message, {
      url: record.key,
      line: place.line,
      column: place.column,
      frame: source ? codeFrame(source, place.line, place.column - 1) : undefined,
    });
  };
  let fallback: { record: Located; site: ImportSite } | undefined;
  for (const record of created) {
    for (const site of record.imports) {
      if (site.dynamic || site.specifier !== specifier) continue;
      const asked = name === undefined ? undefined : site.names.find((n) => n.name === name);
      if (asked !== undefined) return at(record, asked);
      fallback ??= { record, site };
    }
  }
  return fallback === undefined ? new LinkError(message) : at(fallback.record, fallback.site);
}

/** An error's message from its own data property (no getter runs), or its string form. */
export function messageOf(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const desc = ReflectGetOwnPropertyDescriptor(error, 'message');
    if (desc !== undefined && typeof desc.value === 'string') return desc.value;
  }
  return String(error);
}
