/**
 * Checks the module graph makes on what it loads, each with an error that says where: import
 * attributes (JSON modules), load failures named with the import that asked, JSON parse positions,
 * and whether code may call `import()` (which rules out V8's code cache, see graph.ts).
 */
import { LoadError, type SourceLocation } from '../errors/errors.js';
import { codeFrame } from '../errors/frame.js';
import type { Resolution } from '../resolve/resolver.js';

/** JSON files only with `with { type: 'json' }`, and that attribute only on JSON files. */
export function checkAttributes(
  resolution: Extract<Resolution, { kind: 'file' }>,
  specifier: string,
  attributes: Record<string, string>,
  where: SourceLocation,
): void {
  const isJson = resolution.url.endsWith('.json');
  const type = attributes.type;
  for (const key of Object.keys(attributes)) {
    if (key !== 'type') throw new LoadError(`Unsupported import attribute "${key}" on "${specifier}"`, where);
  }
  if (isJson && type !== 'json') throw new LoadError(`"${specifier}" is a JSON module: import it with { type: 'json' }`, where);
  if (!isJson && type !== undefined)
    throw new LoadError(`"${specifier}" is not a JSON module, but is imported with { type: '${type}' }`, where);
}

/**
 * A file that cannot be loaded (binary, not UTF-8, too large, bad JSON) is named by its own URL;
 * say also which import asked for it, as resolve errors do.
 */
export function importedBy(error: unknown, target: Resolution, importer: string): unknown {
  if (!(error instanceof LoadError) || target.kind !== 'file' || error.url !== target.url) return error;
  const { url, line, column, frame } = error;
  return new LoadError(`${error.message}; imported at ${importer}`, { url, line, column, frame, cause: error.cause });
}

/**
 * Could this code contain an `import()` call? The keyword cannot be written with escapes, and only
 * whitespace and comments may stand between it and the parenthesis; a match inside a string or a
 * comment merely costs the code cache.
 */
const DYNAMIC_IMPORT = /\bimport\s*(?:\/\*[\s\S]*?\*\/\s*|\/\/[^\n\r\u2028\u2029]*\s*)*\(/;
export const mayImportDynamically = (code: string): boolean => code.includes('import') && DYNAMIC_IMPORT.test(code);

/** Line, column and frame of a `JSON.parse` error, from the "position N" its message gives (Node 20+). */
export function jsonErrorAt(source: string, message: string): SourceLocation {
  const position = /at position (\d+)/.exec(message)?.[1];
  if (position === undefined) return {};
  const before = source.slice(0, Number(position)).split(/\r\n|\r|\n/);
  const line = before.length;
  const column = before[before.length - 1]!.length + 1;
  return { line, column, frame: codeFrame(source, line, column - 1) };
}
