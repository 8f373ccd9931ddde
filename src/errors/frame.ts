/**
 * Code frames: the few lines around a location, with a caret under the column,
 * as Babel and ESLint print them. Pure string work, used by errors and diagnostics.
 */
import { styleText } from 'node:util';

export interface FrameOptions {
  /** 1-based line of the end of the range (defaults to `line`). */
  endLine?: number;
  /** 0-based column of the end of the range (defaults to one past `column`). */
  endColumn?: number;
  /** Lines of context above and below. */
  context?: number;
  /** Colour the gutter and the marker with `util.styleText`. */
  color?: boolean;
}

/** Largest line we print whole; longer lines are cut around the column so a minified file stays readable. */
const MAX_LINE = 160;

/**
 * @param source the module's source text
 * @param line 1-based line
 * @param column 0-based column
 */
export function codeFrame(source: string, line: number, column: number, options: FrameOptions = {}): string {
  const lines = source.split(/\r\n|\r|\n|\u2028|\u2029/);
  if (line < 1 || line > lines.length) return '';
  const context = options.context ?? 2;
  const first = Math.max(1, line - context);
  const last = Math.min(lines.length, (options.endLine ?? line) + context);
  const width = String(last).length;
  const paint = (format: Parameters<typeof styleText>[0], text: string) =>
    // validateStream off: the caller decided (Node ≥ 20.20 would otherwise drop colours whenever this
    // thread's stdout is not a TTY, e.g. in the CLI's worker, although the main thread's is).
    options.color ? styleText(format, text, { validateStream: false }) : text;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    let text = lines[n - 1] ?? '';
    let col = column;
    if (text.length > MAX_LINE) {
      const start = n === line ? Math.max(0, column - MAX_LINE / 2) : 0;
      text = (start > 0 ? '…' : '') + text.slice(start, start + MAX_LINE) + '…';
      col = column - start + (start > 0 ? 1 : 0);
    }
    const marker = n === line ? '>' : ' ';
    const gutter = `${marker} ${String(n).padStart(width)} | `;
    out.push(paint(n === line ? 'bold' : 'gray', gutter) + text);
    if (n === line) {
      const sameLineEnd = (options.endLine ?? line) === line && options.endColumn !== undefined;
      const span = sameLineEnd ? Math.max(1, Math.min(options.endColumn! - column, text.length - col)) : 1;
      // The gutter `> 12 | ` is width + 5 characters wide; the caret goes under the column's own character.
      const pad = ' '.repeat(width + 5) + text.slice(0, Math.max(0, col)).replace(/[^\t]/g, ' ');
      out.push(pad + paint('red', '^'.repeat(span)));
    }
  }
  return out.join('\n');
}

/** 1-based line and 0-based column of a character offset. */
export function locate(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, source.length);
  for (let i = 0; i < end; i++) {
    const c = source.charCodeAt(i);
    if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) {
      if (c === 13 && source.charCodeAt(i + 1) === 10) i++;
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart };
}
