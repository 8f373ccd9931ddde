/**
 * CommonJS in the load step: which files are CommonJS (as Node decides), the names a CommonJS file
 * exports to ES modules (Node's own lexer, `cjs-module-lexer`), and its literal `require()` calls,
 * resolved and loaded ahead of the run like static imports. The realm side (the module cache and
 * `require` itself) is run/realm-source/commonjs.ts; compiling, link/commonjs.ts.
 *
 * Only package code can be CommonJS: sandbox code is ES modules, whatever its extension.
 */
import path from 'node:path';
import { parse as lexExports } from 'cjs-module-lexer';
import { analyzeModule, contentHash, type Analysis, type ImportSite, type ModuleFormat } from '../analyze/analyze.js';
import { SandboxSyntaxError } from '../errors/errors.js';
import { codeFrame } from '../errors/frame.js';
import { resolveNow, type Resolution, type ResolverOptions } from '../resolve/resolver.js';

/** What the graph keeps of a CommonJS file. */
export interface CommonJSInfo {
  /** Names `cjs-module-lexer` found assigned to `exports`/`module.exports`. */
  exports: readonly string[];
  /** Specifiers whose exports this file re-exports (`module.exports = require('./x')`, `__exportStar`). */
  reexports: readonly string[];
  /**
   * Each literal `require()` specifier → the graph key it resolved to, or the error resolving it
   * raised: thrown by `require()` when the call runs, as Node throws it (a `try { require('optional') }`
   * must still work), never at load.
   */
  requires: Map<string, string | Error>;
  /** The literal `require()` calls, for the location of a later failure. */
  sites: readonly ImportSite[];
}

/** Files whose format came from syntax detection (Node's rule for `.js` without a `type`), by content and URL. */
const detected = new Map<string, ModuleFormat>();
const MAX_DETECTED = 4_000;

/**
 * A package file's declared format: `.cjs` and `.mjs` by extension, `.js` by the `type` of its
 * nearest package.json inside its package, undefined when nothing declares it (detected from the
 * syntax, as Node does).
 */
function declaredFormat(resolution: Resolution & { kind: 'file' }, resolver: ResolverOptions): ModuleFormat | undefined {
  const { scope } = resolution;
  if (scope === undefined || resolver.packages === undefined) return 'module';
  const extension = path.extname(resolution.path);
  if (extension === '.cjs') return 'commonjs';
  if (extension !== '.js') return 'module';
  return resolver.packages.typeOf(resolution.path, scope);
}

/**
 * The format a file has as far as is known without parsing it: declared (by extension or the
 * nearest package.json, read now), else what detection found for this content at this URL before.
 * The caches take it as part of the key: a package.json whose `type` changed changes it.
 */
export function knownFormat(hash: string, resolution: Resolution & { kind: 'file' }, resolver: ResolverOptions): ModuleFormat | undefined {
  return declaredFormat(resolution, resolver) ?? detected.get(`${hash}:${resolution.url}`);
}

/**
 * Analyse a file as the format it has. Undeclared: CommonJS unless it parses only as a module
 * (an `import`/`export` statement, `import.meta`, top-level `await`), Node's syntax detection.
 */
export function analyzeFile(
  code: string,
  resolution: Resolution & { kind: 'file' },
  resolver: ResolverOptions,
  metered: boolean,
  hash = contentHash(code),
): ReturnType<typeof analyzeModule> {
  const { url } = resolution;
  const known = knownFormat(hash, resolution, resolver);
  if (known !== undefined) return analyzeModule(code, url, hash, metered, known);
  let format: ModuleFormat = 'commonjs';
  let analysis;
  try {
    analysis = analyzeModule(code, url, hash, metered, 'commonjs');
  } catch (error) {
    if (!(error instanceof SandboxSyntaxError)) throw error;
    format = 'module';
    analysis = analyzeModule(code, url, hash, metered, 'module');
  }
  noteDetected(hash, url, format);
  return analysis;
}

/** What detection found for this content at this URL (here, or in the process that wrote the disk cache's entry). */
export function noteDetected(hash: string, url: string, format: ModuleFormat): void {
  if (detected.size >= MAX_DETECTED) detected.clear();
  detected.set(`${hash}:${url}`, format);
}

/** The exports and re-exports Node would find in `code` (nothing when the lexer gives up: only `default`). */
export function lexCommonJS(code: string, analysis: Analysis): CommonJSInfo {
  let lexed = analysis.lexed;
  if (lexed === undefined) {
    try {
      lexed = lexExports(code);
    } catch {
      lexed = { exports: [], reexports: [] };
    }
    analysis.lexed = lexed;
  }
  return { exports: lexed.exports, reexports: lexed.reexports, requires: new Map(), sites: analysis.requires };
}

/**
 * Resolve every literal `require()` of a CommonJS file (the `require` conditions) and visit what
 * they name; a specifier that cannot be resolved is kept as its error, for `require()` to throw.
 */
export async function followRequires(
  info: CommonJSInfo,
  url: string,
  source: string,
  resolver: ResolverOptions,
  visit: (target: Resolution, site: ImportSite) => Promise<void>,
): Promise<void> {
  const seen = new Set<string>();
  const visits: Array<Promise<void>> = [];
  for (const site of info.sites) {
    if (seen.has(site.specifier)) continue;
    seen.add(site.specifier);
    let target: Resolution;
    try {
      target = resolveNow(site.specifier, url, resolver, requireSite(url, source, site), 'require');
    } catch (error) {
      info.requires.set(site.specifier, error instanceof Error ? error : new Error(String(error)));
      continue;
    }
    info.requires.set(site.specifier, target.key);
    visits.push(visit(target, site));
  }
  await Promise.all(visits);
}

/** Where a `require()` call is, for its errors (the frame is built only if one is made). */
export function requireSite(url: string, source: string | undefined, site: ImportSite | undefined) {
  if (site === undefined) return { url };
  return {
    url,
    line: site.line,
    column: site.column,
    get frame() {
      return source === undefined ? undefined : codeFrame(source, site.line, site.column - 1);
    },
  };
}

/**
 * Every name an ES module importing the file `key` gets besides `default`: its own exports and,
 * transitively, those of the files it re-exports (Node's rule), read from `infoOf`.
 */
export function exportNames(key: string, infoOf: (key: string) => CommonJSInfo | undefined): string[] {
  const names = new Set<string>();
  const seen = new Set<string>();
  const stack = [key];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (seen.has(next)) continue;
    seen.add(next);
    const info = infoOf(next);
    if (info === undefined) continue;
    for (const name of info.exports) names.add(name);
    for (const specifier of info.reexports) {
      const target = info.requires.get(specifier);
      if (typeof target === 'string') stack.push(target);
    }
  }
  names.delete('default');
  return [...names];
}

/**
 * The ES module that stands for a CommonJS file: its evaluation runs the file (through the realm's
 * module cache, `import.meta.load`, which only this module's `import.meta` holds) and exports
 * `module.exports` as `default` and each lexed name that `module.exports` has as its own property,
 * read once, as Node's wrapper does. No user code is in it, and it is never analysed.
 */
export function facadeSource(names: readonly string[]): string {
  const lines = [`const v = import.meta.load(${JSON.stringify(names)});`, 'export default v[0];'];
  names.forEach((name, i) => {
    lines.push(`const e${i} = v[${i + 1}];`, `export { e${i} as ${JSON.stringify(name)} };`);
  });
  return lines.join('\n');
}
