/**
 * The load step of a module graph: read each file, strip TypeScript, analyse it, collect its
 * policy findings, resolve its imports and check their attributes, for every module reachable by
 * static imports that is not loaded yet. Nothing is compiled: the sandbox's graph (link/graph.ts)
 * compiles what this returns, and `esm-sandbox check` (check-graph.ts) reports what it found. The
 * two share this step so that `check` refuses exactly what a load refuses.
 *
 * Every finding and every failure is collected, not just the first: a load reports all its policy
 * errors at once, and `check` reports everything.
 */
import type { Analysis, ImportSite } from '../analyze/analyze.js';
import { environmentFor, environmentKey } from '../analyze/environment.js';
import type { ResolvedPolicy } from '../analyze/policy/engine.js';
import type { Diagnostic, PolicyEnvironment } from '../analyze/policy/types.js';
import { LoadError } from '../errors/errors.js';
import { codeFrame } from '../errors/frame.js';
import { analyzeWithFindings } from './cached-analysis.js';
import { analyzeFile, followRequires, knownFormat, lexCommonJS, type CommonJSInfo } from './commonjs.js';
import type { DiskCache } from './disk-cache.js';
import { checkAttributes, importedBy, jsonErrorAt } from './module-checks.js';
import { resolveSpecifier, type Resolution, type ResolverOptions } from '../resolve/resolver.js';
import { isTypeScript, stripperIdentity, stripTypes } from '../transform/typescript.js';
import { readModuleText, type LoadLimits } from './source.js';

/** One module the load step read (or an allow-listed one it reached), ready to compile. */
export interface LoadedModule {
  resolution: Resolution;
  /** The file's text as read (before TypeScript is stripped), for code frames. */
  source?: string;
  /** A JSON module's value. */
  json?: unknown;
  /** The code to compile: stripped of types and guarded (transform/guard.ts). */
  code?: string;
  /** Column shifts the guard made, for the realm's stack formatter. */
  edits?: string;
  imports: ImportSite[];
  /** Specifier → graph key, for static imports. */
  targets: Map<string, string>;
  /** The module may suspend on a top-level await (the analysis's conservative answer). */
  topLevelAwait?: boolean;
  /** The analysis proved its evaluation bounded and free of user calls (analyze/bounded.ts). */
  straightLine?: boolean;
  /** The cached analysis `code` came from: it carries the code cache. */
  analysis?: Analysis;
  /** Set for a CommonJS file (commonjs.ts): compiled as a function behind an ES module facade. */
  commonjs?: CommonJSInfo;
}

export interface LoadContext {
  resolver: ResolverOptions;
  policy: ResolvedPolicy;
  /** What the policy is told of sandbox code; a package's modules get theirs from it (analyze/environment.ts). */
  env: PolicyEnvironment;
  policyFingerprint: string;
  limits: LoadLimits;
  /** Meter the code (transform/meter.ts): the realm it is compiled for runs turns without a watchdog. */
  metered?: boolean;
  /** The analysis cache on disk (SandboxOptions.cacheDir), if any. */
  disk?: DiskCache;
  /** Is this graph key loaded already (by an earlier load of the same graph)? Not visited again. */
  isLoaded(key: string): boolean;
  /** The text of a module loaded earlier or in this load, for code frames of its imports. */
  sourceOf(url: string): string | undefined;
  /** Told of each file's text as soon as it is read. */
  onSource(url: string, source: string): void;
  /**
   * Follow `import()` of literal specifiers too, as separate entries would be (what `check` wants:
   * the whole graph a run may reach). A load does not: import() loads its target when called.
   */
  followDynamic?: boolean;
}

export interface LoadResult {
  /** Every module reached and not loaded before, in the order they were reached. */
  modules: Map<string, LoadedModule>;
  /** Policy findings of every error and warning severity, in the order files finished. */
  diagnostics: Diagnostic[];
  /** Errors that stop the load (resolve, read, JSON, attributes), in the order they happened. */
  failures: unknown[];
}

/** Files loaded between two yields to the event loop (see visit). */
const YIELD_EVERY_FILES = 64;

export async function loadGraph(entry: Resolution, context: LoadContext, virtualSource?: string): Promise<LoadResult> {
  const walk = new GraphWalk(context);
  try {
    await walk.visit(entry, undefined, virtualSource);
  } catch (error) {
    walk.result.failures.push(error);
  }
  return walk.result;
}

class GraphWalk {
  readonly result: LoadResult = { modules: new Map(), diagnostics: [], failures: [] };
  private filesSinceYield = 0;
  private readonly resolved = new Map<string, Resolution>();
  private readonly fingerprints = new Map<string, string>();

  constructor(private readonly context: LoadContext) {}

  async visit(resolution: Resolution, via: { site: ImportSite; referrer: string } | undefined, virtualSource?: string): Promise<void> {
    const { context } = this;
    // An import() with computed options is checked when it is called (graph.ts), not here.
    const attributes = via?.site.attributes;
    if (resolution.kind === 'file' && via !== undefined && attributes !== undefined) {
      const { site, referrer } = via;
      const source = context.sourceOf(referrer);
      // The frame is built only if the check fails (it splits the referrer's whole source).
      checkAttributes(resolution, site.specifier, attributes, {
        url: referrer,
        line: site.line,
        column: site.column,
        get frame() {
          return source ? codeFrame(source, site.line, site.column - 1) : undefined;
        },
      });
    }
    const { modules } = this.result;
    if ((context.isLoaded(resolution.key) && virtualSource === undefined) || modules.has(resolution.key)) return;
    const node: LoadedModule = { resolution, imports: [], targets: new Map() };
    modules.set(resolution.key, node);
    if (resolution.kind === 'allowed') return;
    const { url } = resolution;
    // Reads and analysis are synchronous (source.ts): give the event loop (and the operation's
    // deadline timer) a turn every few dozen files of a large graph.
    if (++this.filesSinceYield >= YIELD_EVERY_FILES) {
      this.filesSinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const source = virtualSource ?? readModuleText(resolution.path, url, context.limits);
    context.onSource(url, source);
    node.source = source;
    if (url.endsWith('.json')) {
      try {
        node.json = JSON.parse(source);
      } catch (error) {
        throw new LoadError(`${url} is not valid JSON: ${(error as Error).message}`, {
          url,
          ...jsonErrorAt(source, (error as Error).message),
        });
      }
      return;
    }
    const metered = context.metered === true;
    const { analysis, findings } = await analyzeWithFindings(source, url, {
      policy: context.policy,
      env: (format) => environmentFor(context.env, context.resolver, url, format),
      fingerprint: this.fingerprintOf(url),
      metered,
      // evaluate() sources are one-off strings under made-up names: not worth a place on disk.
      disk: virtualSource === undefined ? context.disk : undefined,
      formatOf: (hash) => knownFormat(hash, resolution, context.resolver),
      stripper: isTypeScript(url) ? stripperIdentity : undefined,
      // TypeScript is stripped to spaces, so positions in the code are positions in `source`.
      code: () => (isTypeScript(url) ? stripTypes(source, url) : source),
      analyze: (code, hash) => analyzeFile(code, resolution, context.resolver, metered, hash),
    });
    node.code = analysis.code;
    node.edits = analysis.edits;
    node.imports = analysis.imports;
    node.topLevelAwait = analysis.topLevelAwait;
    node.straightLine = analysis.straightLine;
    node.analysis = analysis;
    for (const d of findings) this.result.diagnostics.push(d);
    if (analysis.format === 'commonjs') {
      // Never TypeScript (`.ts` and `.mts` are modules): the code is the source.
      node.commonjs = lexCommonJS(source, analysis);
      // A required file is visited as an entry would be: no attributes (`require('./data.json')` needs none).
      const visit = (target: Resolution, site: ImportSite) =>
        this.visit(target, undefined).catch((error: unknown) => {
          this.result.failures.push(importedBy(error, target, `${url}:${site.line}:${site.column}`));
        });
      await followRequires(node.commonjs, url, source, context.resolver, visit);
    }
    const followed = context.followDynamic ? analysis.imports : analysis.imports.filter((site) => !site.dynamic);
    await Promise.all(followed.map((site) => this.follow(site, url, source, node)));
  }

  /**
   * The policy fingerprint for the file at `url` plus its package's grants, which decide its
   * findings as much as the policy does; the same for every file of a directory, so asked once per
   * directory and load (lodash-es: 641 files, one directory).
   */
  private fingerprintOf(url: string): string {
    const dir = url.slice(0, url.lastIndexOf('/') + 1);
    let fingerprint = this.fingerprints.get(dir);
    if (fingerprint === undefined) {
      fingerprint = this.context.policyFingerprint + environmentKey(this.context.resolver, url);
      this.fingerprints.set(dir, fingerprint);
    }
    return fingerprint;
  }

  private async follow(site: ImportSite, url: string, source: string, node: LoadedModule): Promise<void> {
    try {
      // The frame is only read if resolving fails: building it splits the whole source, per import.
      const where = {
        url,
        line: site.line,
        column: site.column,
        get frame() {
          return codeFrame(source, site.line, site.column - 1);
        },
      };
      // A package's modules import the same few files from one directory hundreds of times
      // (lodash-es: ~2,000 sites, 641 files); the answer depends only on the specifier and the
      // importing file's directory (and, through it, its package), so it is asked once per load.
      const memo = `${site.specifier}\0${url.slice(0, url.lastIndexOf('/') + 1)}`;
      let target = this.resolved.get(memo);
      if (target === undefined) {
        target = await resolveSpecifier(site.specifier, url, this.context.resolver, where);
        this.resolved.set(memo, target);
      }
      if (!site.dynamic) node.targets.set(site.specifier, target.key);
      try {
        await this.visit(target, { site, referrer: url });
      } catch (error) {
        throw importedBy(error, target, `${url}:${site.line}:${site.column}`);
      }
    } catch (error) {
      this.result.failures.push(error);
    }
  }
}
