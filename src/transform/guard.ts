/**
 * The one rewrite every module gets: each `catch` binding passes through the realm's guard, so
 * an error born in the host realm (a stack overflow inside a host frame, a host error raised
 * while formatting a stack) is replaced before user code can touch it. Names with the reserved
 * prefix are refused, so no module can shadow the guard.
 *
 * Edits never add lines, so line numbers hold; column shifts are returned as `edits` for the
 * realm's stack formatter to undo.
 */
import type { CatchClause, Identifier, Node, Program } from 'acorn';
import { simple } from 'acorn-walk';
import MagicString from 'magic-string';
import { GUARD_NAME, RESERVED_PREFIX } from '../constants.js';
import type { Insertion } from './meter.js';

const CAUGHT = `${RESERVED_PREFIX}Caught`;

export interface GuardResult {
  code: string;
  /** Flat `line,column0,length,...` triples of inserted text, in source order. */
  edits: string;
  /** A declared or referenced name with the reserved prefix, if any. */
  reserved: Identifier | undefined;
}

/** @param meter the metering rewrite's insertions (transform/meter.ts), applied in the same pass. */
export function guardCatches(source: string, program: Program, meter: readonly Insertion[] = []): GuardResult {
  const catches: CatchClause[] = [];
  let reserved: Identifier | undefined;
  const mayUseReserved = source.includes(RESERVED_PREFIX.slice(2)) || source.includes('\\u');
  const checkName = (node: Node) => {
    const id = node as Identifier;
    if (reserved === undefined && id.name.startsWith(RESERVED_PREFIX)) reserved = id;
  };
  // acorn-walk visits declared names as the pseudo-type "VariablePattern", which its types omit.
  const visitors: Record<string, (node: Node) => void> = {
    CatchClause: (node) => {
      catches.push(node as CatchClause);
    },
  };
  if (mayUseReserved) {
    visitors.Identifier = checkName;
    visitors.VariablePattern = checkName;
    const local = (node: Node) => checkName((node as unknown as { local: Node }).local);
    visitors.ImportSpecifier = local;
    visitors.ImportDefaultSpecifier = local;
    visitors.ImportNamespaceSpecifier = local;
  }
  if (mayUseReserved || source.includes('catch')) simple(program, visitors as Parameters<typeof simple>[1]);
  if (catches.length === 0 && meter.length === 0) return { code: source, edits: '', reserved };

  const out = new MagicString(source);
  const edits: number[] = [];
  if (meter.length > 0) {
    // A destructuring catch binding is rewritten as a whole (below): checks inside its defaults
    // would be lost with it. Such defaults run once per caught value, under the catch's own checks.
    const patterns = catches.flatMap((c) => (c.param && c.param.type !== 'Identifier' ? [[c.param.start, c.param.end] as const] : []));
    insert(
      out,
      source,
      patterns.length === 0 ? meter : meter.filter(({ at }) => !patterns.some(([start, end]) => at > start && at < end)),
      edits,
    );
  }
  for (const clause of catches) {
    const param = clause.param;
    if (param === null || param === undefined) continue;
    const bodyStart = clause.body.start + 1;
    const at = clause.body.loc!.start;
    if (param.type === 'Identifier') {
      const text = `${param.name}=${GUARD_NAME}(${param.name});`;
      out.appendLeft(bodyStart, text);
      edits.push(at.line, at.column + 1, text.length);
    } else {
      // A destructuring binding: bind the raw value to a reserved name, destructure the guarded one.
      // Keeping it on one line keeps line numbers; a line comment inside it must keep its newline.
      const raw = source.slice(param.start, param.end);
      const pattern = raw.includes('//') ? raw : raw.replace(/\r\n|\r|\n|\u2028|\u2029/g, ' ');
      const p = param.loc!.start;
      out.overwrite(param.start, param.end, CAUGHT);
      edits.push(p.line, p.column, CAUGHT.length - (param.end - param.start));
      const text = `let ${pattern}=${GUARD_NAME}(${CAUGHT});`;
      out.appendLeft(bodyStart, text);
      edits.push(at.line, at.column + 1, text.length);
    }
  }
  return { code: out.toString(), edits: sortedEdits(edits), reserved };
}

function insert(out: MagicString, source: string, insertions: readonly Insertion[], edits: number[]): void {
  const locate = lineStarts(source);
  for (const { at, text, closer } of insertions) {
    // Closers go before what is already at their offset: an inner node's `)` before an outer `}`.
    if (closer) out.prependLeft(at, text);
    else out.appendLeft(at, text);
    const [line, column] = locate(at);
    edits.push(line, column, text.length);
  }
}

/** Offset to 1-based line and 0-based column, as acorn counts them (every line terminator ends a line). */
function lineStarts(source: string): (offset: number) => [number, number] {
  const starts = [0];
  const terminator = /\r\n|\r|\n|\u2028|\u2029/g;
  for (let m = terminator.exec(source); m !== null; m = terminator.exec(source)) starts.push(m.index + m[0].length);
  return (offset) => {
    let low = 0,
      high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid]! <= offset) low = mid;
      else high = mid - 1;
    }
    return [low + 1, offset - starts[low]!];
  };
}

/**
 * The stack formatter walks a line's edits in column order. Edits at one column are kept in the
 * order their text appears: prependLeft puts closers before appended text, so they sort first.
 */
function sortedEdits(flat: number[]): string {
  const triples: number[][] = [];
  for (let i = 0; i < flat.length; i += 3) triples.push([flat[i]!, flat[i + 1]!, flat[i + 2]!]);
  triples.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  return triples.map((t) => `${t[0]},${t[1]},${t[2]}`).join(',');
}
