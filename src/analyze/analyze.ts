/**
 * Analysis of one module: a single acorn parse feeds the import list, the policy rules and the
 * guard transform. Results are cached by content hash, so re-importing unchanged files does
 * not parse again; policy findings are cached per policy and allow-list as well.
 */
import { hash } from 'node:crypto';
import type {
  ImportDeclaration,
  ExportAllDeclaration,
  ExportNamedDeclaration,
  ImportExpression,
  Literal,
  Node,
  ObjectExpression,
  Program,
  Identifier,
  Expression,
  SpreadElement,
} from 'acorn';
import { codeFrame } from '../errors/frame.js';
import { SandboxSyntaxError } from '../errors/errors.js';
import { guardCatches } from '../transform/guard.js';
import { meterInsertions } from '../transform/meter.js';
import { isStraightLine } from './bounded.js';
import { parseModule, parseScript } from './parse.js';
import { staticString } from './policy/ast.js';
import { checkModule, type ResolvedPolicy } from './policy/engine.js';
import type { Diagnostic, PolicyEnvironment } from './policy/types.js';

/** One static import, re-export, or literal `import()` of a module. */
export interface ImportSite {
  specifier: string;
  /** 1-based line and column of the specifier string. */
  line: number;
  column: number;
  /**
   * Import attributes, e.g. `{ type: 'json' }`. For `import()`, those of an options object written
   * as literals; `undefined` when the options are computed, so only the call will tell.
   */
  attributes: Record<string, string> | undefined;
  dynamic: boolean;
  /**
   * The names this import asks of the module (`default` for a default import; the source-side
   * name of a re-export), each where it is written: V8's link errors name only the specifier and
   * the name, so these place them. Empty for `import()`, `export *` and namespace imports.
   */
  names: ImportedName[];
}

/** How a file's code is parsed and run: an ES module, or CommonJS (a function body, load/commonjs.ts). */
export type ModuleFormat = 'module' | 'commonjs';

/** A name requested by an import or re-export, at its 1-based line and column. */
export interface ImportedName {
  name: string;
  line: number;
  column: number;
}

export interface Analysis {
  /** The code that is compiled (the source with catch bindings guarded). */
  code: string;
  /** Column edits of the transform, for the realm's stack formatter. */
  edits: string;
  imports: ImportSite[];
  /** CommonJS only: each `require('literal')` call, in source order (`names` empty, `dynamic` false). */
  requires: ImportSite[];
  format: ModuleFormat;
  /**
   * Could evaluating this module suspend on a top-level `await` (or `for await`)? Conservative:
   * never false for a module that can. Lets the realm skip waiting on evaluations that finish
   * synchronously (see Realm.evaluate).
   */
  topLevelAwait: boolean;
  /** Evaluation runs no user function and is bounded by the module's length (see bounded.ts). */
  straightLine: boolean;
  /** CommonJS only: what cjs-module-lexer found, once per content (load/commonjs.ts). */
  lexed?: { exports: readonly string[]; reexports: readonly string[] };
  /** How many times `code` was compiled (the link phase counts). */
  compiles: number;
  /**
   * V8's code cache for `code`, made by the link phase at the second compile, so a one-off load
   * never pays for serialising it; later compiles (a new sandbox over unchanged files) deserialise
   * instead of parsing and compiling (~3.4 ms → ~0.9 ms for a 50-module graph).
   */
  codeCache: Buffer | undefined;
  /**
   * Disk cache writes (load/disk-cache.ts) waiting for the link phase, which then makes the code
   * cache at the first compile, so that it is stored with the entry.
   */
  persist: Array<() => void> | undefined;
  /** Rewrites the disk entry this analysis was read from: V8 rejected its code cache. */
  restored: (() => void) | undefined;
}

interface CacheEntry extends Analysis {
  program: Program | undefined;
  diagnostics: Map<string, Diagnostic[]>;
}

const MAX_CACHE = 2_000;
const cache = new Map<string, CacheEntry>();
/**
 * The cache pins each entry's code: bound it by size as well as by count, or a host that loads many
 * large generated modules keeps up to MAX_CACHE × maxModuleBytes (2,000 × 16 MiB) alive forever.
 */
const MAX_CACHE_CHARS = 32 * 1024 * 1024;
let cachedChars = 0;

export const contentHash = (source: string): string => hash('sha1', source, 'base64url');

/**
 * Parse, find imports and guard (and meter, for a metered realm: transform/meter.ts); throws
 * `SandboxSyntaxError` with the location.
 */
export function analyzeModule(
  source: string,
  url: string,
  hash = contentHash(source),
  metered = false,
  format: ModuleFormat = 'module',
): CacheEntry {
  const hit = cachedAnalysis(hash, url, metered, format);
  if (hit !== undefined) return hit;
  let program: Program;
  try {
    program = format === 'commonjs' ? parseScript(source) : parseModule(source);
  } catch (error) {
    throw syntaxError(error, source, url);
  }
  const guarded = guardCatches(source, program, metered ? meterInsertions(source, program) : undefined);
  if (guarded.reserved !== undefined) {
    const loc = guarded.reserved.loc!.start;
    throw new SandboxSyntaxError(`"${guarded.reserved.name}" is reserved for esm-sandbox`, {
      url,
      line: loc.line,
      column: loc.column + 1,
      frame: codeFrame(source, loc.line, loc.column),
    });
  }
  const entry: CacheEntry = {
    code: guarded.code,
    edits: guarded.edits,
    imports: format === 'commonjs' ? dynamicOnly(program, source) : importsOf(program, /\bimport\s*\(/.test(source)),
    requires: format === 'commonjs' && source.includes('require') ? requiresOf(program) : [],
    format,
    // A CommonJS body runs inside a call made by its facade: never straight-line, never suspended.
    topLevelAwait: format === 'module' && source.includes('await') && hasTopLevelAwait(program),
    straightLine: format === 'module' && isStraightLine(program),
    compiles: 0,
    codeCache: undefined,
    persist: undefined,
    restored: undefined,
    program,
    diagnostics: new Map(),
  };
  return remember(hash, url, metered, entry);
}

/** Forget every analysis held in memory: what a new process starts with (benches measure that case). */
export function clearAnalysisCache(): void {
  cache.clear();
  cachedChars = 0;
}

const keyOf = (hash: string, url: string, metered: boolean, format: ModuleFormat) =>
  `${hash}:${url}${metered ? ':metered' : ''}${format === 'commonjs' ? ':cjs' : ''}`;

/** The analysis of this content at this URL held in memory, if any (now the most recently used). */
export function cachedAnalysis(hash: string, url: string, metered: boolean, format: ModuleFormat = 'module'): CacheEntry | undefined {
  const key = keyOf(hash, url, metered, format);
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    cache.set(key, hit);
  }
  return hit;
}

/** A file's analysis read from the disk cache, held in memory as if made here, with its findings for one policy. */
export function adoptAnalysis(
  hash: string,
  url: string,
  metered: boolean,
  stored: Pick<Analysis, 'code' | 'edits' | 'imports' | 'topLevelAwait' | 'straightLine' | 'codeCache' | 'lexed'> &
    Partial<Pick<Analysis, 'format' | 'requires'>>,
  fingerprint: string,
  findings: Diagnostic[],
): CacheEntry {
  const { code, edits, imports, topLevelAwait, straightLine, codeCache, lexed } = stored;
  const entry: CacheEntry = {
    code,
    edits,
    imports,
    requires: stored.requires ?? [],
    format: stored.format ?? 'module',
    lexed,
    topLevelAwait,
    straightLine,
    compiles: 0,
    codeCache,
    persist: undefined,
    restored: undefined,
    program: undefined,
    diagnostics: new Map([[fingerprint, findings]]),
  };
  return remember(hash, url, metered, entry);
}

function remember(hash: string, url: string, metered: boolean, entry: CacheEntry): CacheEntry {
  cache.set(keyOf(hash, url, metered, entry.format), entry);
  cachedChars += entry.code.length;
  while (cache.size > MAX_CACHE || cachedChars > MAX_CACHE_CHARS) {
    const [oldest, evicted] = cache.entries().next().value!;
    cache.delete(oldest);
    cachedChars -= evicted.code.length;
  }
  return entry;
}

/** Policy findings for an analysed module, cached per policy fingerprint. */
export function policyFindings(
  entry: CacheEntry,
  source: string,
  url: string,
  policy: ResolvedPolicy,
  env: PolicyEnvironment,
  fingerprint: string,
): Diagnostic[] {
  const known = entry.diagnostics.get(fingerprint);
  if (known !== undefined) return known;
  const program = entry.program ?? (entry.format === 'commonjs' ? parseScript(source) : parseModule(source));
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
    url,
    line: loc?.line,
    column: loc ? loc.column + 1 : undefined,
    frame: loc ? codeFrame(source, loc.line, loc.column) : undefined,
  });
}

function importsOf(program: Program, hasDynamic: boolean): ImportSite[] {
  const sites: ImportSite[] = [];
  const add = (
    source: Literal | null | undefined,
    attributes: ImportDeclaration['attributes'] | undefined,
    dynamic: boolean,
    names: ImportedName[] = [],
  ) => {
    if (!source || typeof source.value !== 'string') return;
    const attrs: Record<string, string> = {};
    for (const attr of attributes ?? []) {
      const key = attr.key.type === 'Identifier' ? (attr.key as Identifier).name : String((attr.key as Literal).value);
      attrs[key] = String(attr.value.value);
    }
    sites.push({
      specifier: source.value,
      line: source.loc!.start.line,
      column: source.loc!.start.column + 1,
      attributes: attrs,
      dynamic,
      names,
    });
  };
  const named = (node: Identifier | Literal, name = node.type === 'Identifier' ? node.name : String(node.value)): ImportedName => ({
    name,
    line: node.loc!.start.line,
    column: node.loc!.start.column + 1,
  });
  for (const node of program.body) {
    if (node.type === 'ImportDeclaration') {
      const names: ImportedName[] = [];
      for (const spec of node.specifiers) {
        if (spec.type === 'ImportSpecifier') names.push(named(spec.imported));
        else if (spec.type === 'ImportDefaultSpecifier') names.push(named(spec.local, 'default'));
      }
      add(node.source, node.attributes, false, names);
    } else if (node.type === 'ExportAllDeclaration')
      add((node as ExportAllDeclaration).source, (node as ExportAllDeclaration).attributes, false);
    else if (node.type === 'ExportNamedDeclaration' && (node as ExportNamedDeclaration).source) {
      const names = (node as ExportNamedDeclaration).specifiers.map((spec) => named(spec.local));
      add((node as ExportNamedDeclaration).source, (node as ExportNamedDeclaration).attributes, false, names);
    }
  }
  // Literal `import()` specifiers are listed (for `check` and early errors) but not preloaded.
  if (hasDynamic) {
    collectDynamic(program, (node) => {
      const before = sites.length;
      add(node.source as Literal, undefined, true);
      if (sites.length > before) sites[before]!.attributes = literalAttributes((node as { options?: Node | null }).options);
    });
  }
  return sites;
}

/** A CommonJS file's literal `import()` calls (it has no static imports). */
function dynamicOnly(program: Program, source: string): ImportSite[] {
  return /\bimport\s*\(/.test(source) ? importsOf(program, true) : [];
}

/**
 * `require('x')` calls whose specifier is known in advance (a string, a template or concatenation
 * of literals), the ones the load step resolves and loads ahead. A local named `require` is not told apart: the
 * resolution is only ahead of need, and a `require` that is not Node's never asks for it.
 */
function requiresOf(program: Program): ImportSite[] {
  const sites: ImportSite[] = [];
  walkNodes(program, (node) => {
    if (node.type !== 'CallExpression') return;
    const callee = node.callee as Node;
    const args = node.arguments as Node[];
    if (callee.type !== 'Identifier' || (callee as Identifier).name !== 'require' || args.length !== 1) return;
    const arg = args[0] as Expression | SpreadElement;
    // Known in advance as the policy knows it (no-disallowed-import): literals and their concatenations.
    const specifier = arg.type === 'SpreadElement' ? undefined : staticString(arg);
    if (specifier === undefined) return;
    sites.push({ specifier, line: arg.loc!.start.line, column: arg.loc!.start.column + 1, attributes: {}, dynamic: false, names: [] });
  });
  return sites.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** `{ with: { type: 'json' } }` written out, as an attributes record; anything else is unknown. */
function literalAttributes(options: Node | null | undefined): Record<string, string> | undefined {
  if (options === null || options === undefined) return {};
  const keyOf = (key: Node) =>
    key.type === 'Identifier' ? (key as Identifier).name : key.type === 'Literal' ? String((key as Literal).value) : undefined;
  if (options.type !== 'ObjectExpression') return undefined;
  const attrs: Record<string, string> = {};
  for (const property of (options as ObjectExpression).properties) {
    if (property.type !== 'Property' || property.computed || keyOf(property.key) !== 'with') return undefined;
    if (property.value.type !== 'ObjectExpression') return undefined;
    for (const attr of property.value.properties) {
      const key = attr.type === 'Property' && !attr.computed ? keyOf(attr.key) : undefined;
      if (key === undefined || attr.type !== 'Property' || attr.value.type !== 'Literal' || typeof attr.value.value !== 'string')
        return undefined;
      attrs[key] = attr.value.value;
    }
  }
  return attrs;
}

const FUNCTION_TYPES = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression']);

/** What a visitor of `walkNodes` says about a node: go on, leave out its children, or stop the walk. */
type Visit = 'skip' | 'stop' | void;

/**
 * Every node of the tree, depth first, with no recursion (a deeply nested module must not
 * overflow the host's stack). True when a visitor stopped the walk.
 */
function walkNodes(program: Program, visit: (node: Record<string, unknown>) => Visit): boolean {
  const stack: unknown[] = [program];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (const child of node) stack.push(child);
      continue;
    }
    const record = node as Record<string, unknown>;
    const said = visit(record);
    if (said === 'stop') return true;
    if (said === 'skip') continue;
    for (const key in record) {
      if (key === 'loc' || key === 'type' || key === 'start' || key === 'end') continue;
      const child = record[key];
      if (child !== null && typeof child === 'object') stack.push(child);
    }
  }
  return false;
}

/**
 * An `await` outside every function (a class's computed keys run at top level too; its field
 * initializers and static blocks cannot contain `await`). `await` is a keyword in modules and may
 * not be written with escapes, so a source without the text "await" has none: callers test that first.
 */
function hasTopLevelAwait(program: Program): boolean {
  return walkNodes(program, (node) => {
    if (node.type === 'AwaitExpression' || (node.type === 'ForOfStatement' && node.await === true)) return 'stop';
    return FUNCTION_TYPES.has(node.type as string) ? 'skip' : undefined;
  });
}

function collectDynamic(program: Program, found: (node: ImportExpression) => void): void {
  walkNodes(program, (node) => {
    if (node.type === 'ImportExpression' && (node.source as Literal).type === 'Literal') found(node as unknown as ImportExpression);
  });
}
