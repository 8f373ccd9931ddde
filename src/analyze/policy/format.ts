/**
 * Printing diagnostics the way linters do: `file:line:col  severity  message  (rule)` and the
 * code frame below it.
 */
import { styleText } from 'node:util';
import { codeFrame } from '../../errors/frame.js';
import type { Diagnostic } from './types.js';

export interface FormatOptions {
  /** Colour with `util.styleText`; decide with e.g. `process.stdout.hasColors?.()`. */
  color?: boolean;
}

/**
 * The source each diagnostic came from, so a coloured frame can be rebuilt from it. Diagnostics
 * that crossed a thread boundary lose this and are printed with their plain frame.
 */
const sources = new WeakMap<Diagnostic, string>();

export function rememberSource(diagnostic: Diagnostic, source: string): void {
  sources.set(diagnostic, source);
}

/** The caller asked for colour, so do not second-guess it by looking at `process.stdout`. */
const paint = (format: Parameters<typeof styleText>[0], text: string): string => styleText(format, text, { validateStream: false });

/** `file:line:col  severity  message  (rule)` (the diagnostic's own 1-based line and column), then the code frame. */
export function formatDiagnostic(diagnostic: Diagnostic, options: FormatOptions = {}): string {
  const color = options.color === true;
  const { file, line, column, severity, message, ruleId } = diagnostic;
  const where = `${file}:${line}:${column}`;
  const header = color
    ? `${paint('bold', where)}  ${paint(severity === 'error' ? 'red' : 'yellow', severity)}  ${message}  ${paint('gray', `(${ruleId})`)}`
    : `${where}  ${severity}  ${message}  (${ruleId})`;
  const source = color ? sources.get(diagnostic) : undefined;
  const frame =
    source === undefined
      ? diagnostic.frame
      : // codeFrame takes 0-based columns.
        codeFrame(source, line, column - 1, { endLine: diagnostic.endLine, endColumn: diagnostic.endColumn - 1, color: true });
  return frame ? `${header}\n${frame}` : header;
}
