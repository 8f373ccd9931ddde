/** Ranges of an expression or template text as error locations (line, 1-based column, code frame). */
import type { ExpressionLocation } from '../errors/errors.js';
import { codeFrame, locate } from '../errors/frame.js';

export function locationOf(text: string, start: number, end: number): ExpressionLocation {
  const from = locate(text, start);
  const to = locate(text, Math.max(start, end));
  // The frame needs the lines around the range only: a million-character source is not split whole.
  const frame = codeFrame(text.slice(0, Math.max(start, end) + 400), from.line, from.column, {
    endLine: to.line,
    endColumn: to.line === from.line ? Math.max(to.column, from.column + 1) : undefined,
    context: 1,
  });
  return { start, end, line: from.line, column: from.column + 1, frame };
}
