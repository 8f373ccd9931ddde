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

const CAUGHT = `${RESERVED_PREFIX}Caught`;

export interface GuardResult {
  code: string;
  /** Flat `line,column0,length,...` triples of inserted text, in source order. */
  edits: string;
  /** A declared or referenced name with the reserved prefix, if any. */
  reserved: Identifier | undefined;
}

export function guardCatches(source: string, program: Program): GuardResult {
  const catches: CatchClause[] = [];
  let reserved: Identifier | undefined;
  const mayUseReserved = source.includes(RESERVED_PREFIX.slice(2)) || source.includes('\\u');
  const checkName = (node: Node) => {
    const id = node as Identifier;
    if (reserved === undefined && id.name.startsWith(RESERVED_PREFIX)) reserved = id;
  };
  // acorn-walk visits declared names as the pseudo-type "VariablePattern", which its types omit.
  const visitors: Record<string, (node: Node) => void> = { CatchClause: (node) => { catches.push(node as CatchClause); } };
  if (mayUseReserved) {
    visitors.Identifier = checkName;
    visitors.VariablePattern = checkName;
    const local = (node: Node) => checkName((node as unknown as { local: Node }).local);
    visitors.ImportSpecifier = local;
    visitors.ImportDefaultSpecifier = local;
    visitors.ImportNamespaceSpecifier = local;
  }
  if (catches.length === 0 && !mayUseReserved && !source.includes('catch')) return { code: source, edits: '', reserved };
  simple(program, visitors as Parameters<typeof simple>[1]);
  if (catches.length === 0) return { code: source, edits: '', reserved };

  const out = new MagicString(source);
  const edits: number[] = [];
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
  return { code: out.toString(), edits: edits.join(','), reserved };
}
