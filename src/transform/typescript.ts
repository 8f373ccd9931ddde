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
import { packageVersionOf } from '../load/cache-identity.js';

type Strip = (source: string) => string;

/** Is this URL a TypeScript module esm-sandbox strips? (`.cts` is CommonJS: not a module here.) */
export const isTypeScript = (url: string): boolean => /\.m?ts$/.test(url);

let stripper: Strip | null | undefined;

/** The stripper this process uses, chosen without loading it (amaro takes ~250 ms to load). */
let chosen: { identity: string; amaro: string | undefined } | undefined;

const builtinStrip = () =>
  (nodeModule as { stripTypeScriptTypes?: (source: string, options?: { mode: 'strip' }) => string }).stripTypeScriptTypes;
const builtinChoice = () => ({ identity: typeof builtinStrip() === 'function' ? `node@${process.version}` : 'none', amaro: undefined });

function choice(): { identity: string; amaro: string | undefined } {
  if (chosen !== undefined) return chosen;
  try {
    const amaro = createRequire(import.meta.url).resolve('amaro');
    return (chosen = { identity: `amaro@${packageVersionOf(amaro, 'amaro')}`, amaro });
  } catch {
    // Not installed: Node's own, if any.
    return (chosen = builtinChoice());
  }
}

/**
 * What strips types in this process (`amaro@1.2.1`, `node@v22.13.0`, or `none`): TypeScript
 * entries of the disk cache hold one stripper's output, so they are keyed by it.
 */
export const stripperIdentity = (): string => choice().identity;

function findStripper(): Strip | null {
  const { amaro } = choice();
  if (amaro !== undefined) {
    try {
      const loaded = createRequire(import.meta.url)(amaro) as {
        transformSync(source: string, options: { mode: 'strip-only' }): { code: string };
      };
      return (source) => loaded.transformSync(source, { mode: 'strip-only' }).code;
    } catch {
      // Installed but not loadable: Node's own strips, and entries are keyed by it.
      chosen = builtinChoice();
    }
  }
  const builtin = builtinStrip();
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
