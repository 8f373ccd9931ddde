/**
 * Analysis of one module: a single acorn parse feeds the import list, the policy rules and the
 * guard transform. Results are cached by content hash, so re-importing unchanged files does
 * not parse again; policy findings are cached per policy and allow-list as well.
 */
import { createHash } from 'node:crypto';
import type { ImportDeclaration, ExportAllDeclaration, ExportNamedDeclaration, ImportExpression, Literal, Program, Identifier } from 'acorn';
import { codeFrame } from '../errors/frame.js';
import { SandboxSyntaxError } from '../errors/errors.js';
import { guardCatches } from '../transform/guard.js';
import { parseModule } from './parse.js';
import { checkModule, type ResolvedPolicy } from './policy/engine.js';
import type { Diagnostic, PolicyEnvironment } from './policy/types.js';

/** One static import, re-export, or literal `import()` of a module. */
export interface ImportSite {
  specifier: string;
  /** 1-based line and column of the specifier string. */
  line: number;
  column: number;
  /** Import attributes, e.g. `{ type: 'json' }`. */
  attributes: Record<string, string>;
  dynamic: boolean;
}

export interface Analysis {
  /** The code that is compiled (the source with catch bindings guarded). */
  code: string;
  /** Column edits of the transform, for the realm's stack formatter. */
  edits: string;
  imports: ImportSite[];
}

interface CacheEntry extends Analysis {
  program: Program | undefined;
  diagnostics: Map<string, Diagnostic[]>;
}

const MAX_CACHE = 2_000;
const cache = new Map<string, CacheEntry>();

export const contentHash = (source: string) => createHash('sha1').update(source).digest('base64url');

/** Parse, find imports and guard; throws `SandboxSyntaxError` with the location. */
export function analyzeModule(source: string, url: string, hash = contentHash(source)): CacheEntry {
  const key = `${hash}:${url}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  let program: Program;
  try {
    program = parseModule(source);
  } catch (error) {
    throw syntaxError(error, source, url);
  }
  const guarded = guardCatches(source, program);
  if (guarded.reserved !== undefined) {
    const loc = guarded.reserved.loc!.start;
    throw new SandboxSyntaxError(`"${guarded.reserved.name}" is reserved for esm-sandbox`, {
      url, line: loc.line, column: loc.column + 1, frame: codeFrame(source, loc.line, loc.column),
    });
  }
  const entry: CacheEntry = { code: guarded.code, edits: guarded.edits, imports: importsOf(program, /\bimport\s*\(/.test(source)), program, diagnostics: new Map() };
  cache.set(key, entry);
  if (cache.size > MAX_CACHE) cache.delete(cache.keys().next().value!);
  return entry;
}

/** Policy findings for an analysed module, cached per policy fingerprint. */
export function policyFindings(entry: CacheEntry, source: string, url: string, policy: ResolvedPolicy, env: PolicyEnvironment, fingerprint: string): Diagnostic[] {
  const known = entry.diagnostics.get(fingerprint);
  if (known !== undefined) return known;
  const program = entry.program ?? parseModule(source);
  const found = policy.active.length === 0 ? [] : checkModule(program, source, url, policy, env);
  entry.diagnostics.set(fingerprint, found);
  // The tree is only kept until one policy has looked at it; findings for others re-parse.
  entry.program = undefined;
  return found;
}

function syntaxError(error: unknown, source: string, url: string): SandboxSyntaxError {
  const loc = (error as { loc?: { line: number; column: number } }).loc;
  const message = error instanceof Error ? error.message.replace(/ \(\d+:\d+\)$/, '') : String(error);
  return new SandboxSyntaxError(message, {
    url, line: loc?.line, column: loc ? loc.column + 1 : undefined, frame: loc ? codeFrame(source, loc.line, loc.column) : undefined,
  });
}

function importsOf(program: Program, hasDynamic: boolean): ImportSite[] {
  const sites: ImportSite[] = [];
  const add = (source: Literal | null | undefined, attributes: ImportDeclaration['attributes'] | undefined, dynamic: boolean) => {
    if (!source || typeof source.value !== 'string') return;
    const attrs: Record<string, string> = {};
    for (const attr of attributes ?? []) {
      const key = attr.key.type === 'Identifier' ? (attr.key as Identifier).name : String((attr.key as Literal).value);
      attrs[key] = String(attr.value.value);
    }
    sites.push({ specifier: source.value, line: source.loc!.start.line, column: source.loc!.start.column + 1, attributes: attrs, dynamic });
  };
  for (const node of program.body) {
    if (node.type === 'ImportDeclaration') add(node.source, node.attributes, false);
    else if (node.type === 'ExportAllDeclaration') add((node as ExportAllDeclaration).source, (node as ExportAllDeclaration).attributes, false);
    else if (node.type === 'ExportNamedDeclaration' && (node as ExportNamedDeclaration).source) {
      add((node as ExportNamedDeclaration).source, (node as ExportNamedDeclaration).attributes, false);
    }
  }
  // Literal `import()` specifiers are listed (for `check` and early errors) but not preloaded.
  if (hasDynamic) collectDynamic(program, (node) => add(node.source as Literal, undefined, true));
  return sites;
}

function collectDynamic(program: Program, found: (node: ImportExpression) => void): void {
  const stack: unknown[] = [program];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) { for (const child of node) stack.push(child); continue; }
    const record = node as Record<string, unknown>;
    if (record.type === 'ImportExpression') {
      const source = record.source as Literal;
      if (source.type === 'Literal') found(record as unknown as ImportExpression);
    }
    for (const key in record) {
      if (key === 'loc' || key === 'type' || key === 'start' || key === 'end') continue;
      const child = record[key];
      if (child !== null && typeof child === 'object') stack.push(child);
    }
  }
}
