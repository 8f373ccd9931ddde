/**
 * `.ts` / `.mts` modules: types are stripped (replaced by spaces), never transformed, so every
 * line and column of the JavaScript that runs is where the user wrote it and no source map is
 * needed. The stripper is the optional `amaro` package when installed (it needs no flag and
 * warns nothing), else `node:module`'s built-in `stripTypeScriptTypes` (Node 22.13+, which wraps
 * amaro itself). On Node 20 without amaro a `.ts` module fails with how to enable it.
 */
import { createRequire } from 'node:module';
import * as nodeModule from 'node:module';
import { LoadError, SandboxSyntaxError } from '../errors/errors.js';
import { codeFrame } from '../errors/frame.js';

type Strip = (source: string) => string;

/** Is this URL a TypeScript module esm-sandbox strips? (`.cts` is CommonJS: not a module here.) */
export const isTypeScript = (url: string): boolean => /\.m?ts$/.test(url);

let stripper: Strip | null | undefined;

function findStripper(): Strip | null {
  try {
    const amaro = createRequire(import.meta.url)('amaro') as {
      transformSync(source: string, options: { mode: 'strip-only' }): { code: string };
    };
    return (source) => amaro.transformSync(source, { mode: 'strip-only' }).code;
  } catch {
    // Not installed: fall back to Node's own.
  }
  const builtin = (nodeModule as { stripTypeScriptTypes?: (source: string, options?: { mode: 'strip' }) => string }).stripTypeScriptTypes;
  return typeof builtin === 'function' ? (source) => builtin(source, { mode: 'strip' }) : null;
}

/** Whether `.ts` modules can be loaded in this process. */
export function canStripTypes(): boolean {
  if (stripper === undefined) stripper = findStripper();
  return stripper !== null;
}

interface StripFailure {
  message?: unknown;
  startLine?: unknown;
  startColumn?: unknown;
  endColumn?: unknown;
}

/**
 * The JavaScript of a TypeScript module, positions kept.
 * @throws LoadError when no stripper is available; SandboxSyntaxError (with location) when the
 *   source does not parse or uses syntax that needs a real transform (`enum`, `namespace`).
 */
export function stripTypes(source: string, url: string): string {
  if (!canStripTypes()) {
    throw new LoadError(
      `${url} is TypeScript, and this Node.js (${process.version}) cannot strip types: install the optional package "amaro" (npm install amaro), or use Node.js 22.13 or later`,
      { url },
    );
  }
  try {
    return stripper!(source);
  } catch (error) {
    const failure = (error ?? {}) as StripFailure;
    const message = typeof failure.message === 'string' ? failure.message : String(error);
    const line = typeof failure.startLine === 'number' ? failure.startLine : undefined;
    const column = typeof failure.startColumn === 'number' ? failure.startColumn : 0;
    throw new SandboxSyntaxError(`${message} (TypeScript is stripped of its types, not compiled)`, {
      url,
      line,
      column: line === undefined ? undefined : column + 1,
      frame: line === undefined ? undefined : codeFrame(source, line, column),
    });
  }
}
