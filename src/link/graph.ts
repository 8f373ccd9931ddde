/**
 * The sandbox's module graph: every file is loaded once, analysed, compiled into a
 * `vm.SourceTextModule` of the sandbox's context, and linked only to what the resolver allowed.
 *
 * Loading runs in phases, as SES splits load / link / instance: walk the graph (read, analyse,
 * resolve, in parallel) collecting every finding; stop with all policy errors at once; only then
 * compile and link. A failed load leaves the graph as it was.
 */
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { analyzeModule, policyFindings, type Analysis, type ImportSite } from '../analyze/analyze.js';
import type { ResolvedPolicy } from '../analyze/policy/engine.js';
import type { Diagnostic, PolicyEnvironment } from '../analyze/policy/types.js';
import { ReflectApply, ReflectGetOwnPropertyDescriptor } from '../commons.js';
import { EsmSandboxError, LinkError, LoadError, PolicyError, ResolveError, SandboxSyntaxError, type SourceLocation } from '../errors/errors.js';
import { codeFrame } from '../errors/frame.js';
import { readModuleText, type LoadLimits } from '../load/source.js';
import { isTypeScript, stripTypes } from '../transform/typescript.js';
import type { Membrane } from '../membrane/membrane.js';
import { allowedKey, resolveSpecifier, type Resolution, type ResolverOptions } from '../resolve/resolver.js';
import type { Realm } from '../run/realm.js';
import { createAllowedModule, type ModuleDefinition } from './allowed.js';
import { checkAttributes, importedBy, jsonErrorAt, mayImportDynamically } from './module-checks.js';
import { dynamicImportSite, locateLinkError, messageOf } from './locate.js';

export interface GraphOptions {
  realm: Realm;
  membrane: Membrane;
  resolver: ResolverOptions;
  modules: ReadonlyMap<string, ModuleDefinition>;
  policy: ResolvedPolicy;
  policyFingerprint: string;
  limits: LoadLimits;
  /** Extra `import.meta` property → allow-listed provider specifier (SandboxOptions.importMeta). */
  importMeta: ReadonlyMap<string, string>;
  /** Findings below `error` severity. */
  onWarning(diagnostic: Diagnostic): void;
  /** `import()` from sandbox code: load, link and evaluate, or throw. */
  dynamicImport(specifier: string, referrer: string, attributes: Record<string, string>): Promise<vm.Module>;
}

/**
 * Linking stopped at a module whose evaluation already threw (Node 20 only, see link()). Evaluating
 * that module again rejects with what it threw, which is what importing anything above it must do.
 */
export class ErroredDependency extends Error {
  constructor(readonly module: vm.Module) {
    super(`${module.identifier} failed its evaluation earlier`);
  }
}

interface Pending {
  resolution: Resolution;
  source?: string;
  json?: unknown;
  code?: string;
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
}

interface ModuleRecord {
  key: string;
  module: vm.Module;
  targets: Map<string, string>;
  imports: ImportSite[];
  topLevelAwait: boolean;
  straightLine: boolean;
}

/** Files loaded between two yields to the event loop (see visit). */
const YIELD_EVERY_FILES = 64;

const hasLinkRequests = typeof (vm.SourceTextModule?.prototype as { linkRequests?: unknown } | undefined)?.linkRequests === 'function';

export class ModuleGraph {
  private readonly records = new Map<string, ModuleRecord>();
  private readonly byModule = new WeakMap<vm.Module, ModuleRecord>();
  private readonly sources = new Map<string, string>();
  /** Keys of modules whose source came from `evaluate()`, not from disk. */
  private readonly virtual = new Set<string>();
  private filesSinceYield = 0;
  private readonly env: PolicyEnvironment;

  constructor(private readonly options: GraphOptions) {
    this.env = { isAllowedSpecifier: (s) => options.modules.has(s), importMetaProperties: ['url', ...options.importMeta.keys()] };
  }

  /** Real paths of the files loaded into this graph, in load order (not `evaluate()` sources). */
  files(): string[] {
    const out: string[] = [];
    for (const key of this.records.keys()) {
      if (key.startsWith('file:') && !this.virtual.has(key)) out.push(fileURLToPath(key));
    }
    return out;
  }

  /**
   * Could evaluating `module` suspend on a top-level await, its own or one of its static
   * dependencies' (evaluated earlier or not: one still waiting makes this one wait too)?
   * Allow-listed and JSON modules never do. Unknown modules count as yes.
   */
  mayAwait(module: vm.Module): boolean {
    const start = this.byModule.get(module);
    if (start === undefined) return true;
    const seen = new Set<ModuleRecord>([start]);
    const stack = [start];
    for (let record = stack.pop(); record !== undefined; record = stack.pop()) {
      if (record.topLevelAwait) return true;
      for (const key of record.targets.values()) {
        const next = this.records.get(key);
        if (next === undefined) return true;
        if (!seen.has(next)) {
          seen.add(next);
          stack.push(next);
        }
      }
    }
    return false;
  }

  /** Is evaluating `module` bounded without a watchdog: a straight-line source module that imports nothing? */
  isStraightLine(module: vm.Module): boolean {
    return this.byModule.get(module)?.straightLine === true;
  }

  /** The original source of a loaded module, for code frames. */
  sourceOf(url: string): string | undefined { return this.sources.get(url); }

  /** The module behind a resolved specifier, loaded and linked (not yet evaluated). */
  async prepare(entry: Resolution, virtualSource?: string): Promise<vm.Module> {
    const known = this.records.get(entry.key);
    if (known !== undefined && virtualSource === undefined) return known.module;
    if (virtualSource !== undefined) this.virtual.add(entry.key);
    const pending = new Map<string, Pending>();
    const diagnostics: Diagnostic[] = [];
    const failures: unknown[] = [];
    await this.visit(entry, undefined, pending, diagnostics, failures, virtualSource);
    // Files finish loading in any order: report in a stable one (file, then position).
    diagnostics.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column));
    if (diagnostics.some((d) => d.severity === 'error')) throw new PolicyError(diagnostics);
    for (const d of diagnostics) this.options.onWarning(d);
    if (failures.length > 0) throw failures[0];
    const created: ModuleRecord[] = [];
    try {
      for (const node of pending.values()) created.push(this.compile(node));
      await this.link(created, this.records.get(entry.key)!);
    } catch (error) {
      for (const record of created) this.records.delete(record.key);
      throw error;
    }
    return this.records.get(entry.key)!.module;
  }

  /**
   * `import()` from sandbox code. V8 settles the sandbox's `import()` promise from the host promise
   * returned here, but the reaction lands on the context's own microtask queue (`afterEvaluate`),
   * which runs only when the context is entered again: without a drain, `await import(x)` never
   * resumes (it hung until the deadline). So once the host side has settled, after the host's own
   * microtasks have forwarded the result, drain the context as a turn.
   */
  private dynamicImport(specifier: string, referrer: string, attributes: Record<string, string>): Promise<vm.Module> {
    const loading = this.options.dynamicImport(specifier, referrer, attributes);
    const { realm } = this.options;
    // Until the drain below, the continuation (user code) may sit in the context's queue: the
    // realm must not evaluate anything without a watchdog meanwhile (see Realm.importOpened).
    realm.importOpened();
    const drainSoon = () => {
      setImmediate(() => {
        try {
          if (realm.alive) realm.drain('import() continuation');
        } catch {
          // A timeout in that turn kills the realm; its owner has been told through onTimeout.
        } finally {
          realm.importClosed();
        }
      });
    };
    loading.then(drainSoon, drainSoon);
    return loading;
  }

  /**
   * `import()` obeys the attribute rules of static imports (a JSON file needs `{ type: 'json' }`,
   * and only a JSON file takes it), checked before anything is loaded. The location is that of a
   * literal `import()` of the same specifier in the referrer, when there is one.
   */
  checkDynamicAttributes(resolution: Resolution, specifier: string, referrer: string, attributes: Record<string, string>): void {
    if (resolution.kind !== 'file') return;
    const site = this.records.get(referrer)?.imports.find((s) => s.dynamic && s.specifier === specifier);
    const source = this.sources.get(referrer);
    checkAttributes(resolution, specifier, attributes, site === undefined ? { url: referrer } : {
      url: referrer, line: site.line, column: site.column, frame: source ? codeFrame(source, site.line, site.column - 1) : undefined,
    });
  }

  private async visit(resolution: Resolution, via: { site: ImportSite; referrer: string } | undefined, pending: Map<string, Pending>,
    diagnostics: Diagnostic[], failures: unknown[], virtualSource?: string): Promise<void> {
    if (resolution.kind === 'file' && via !== undefined) {
      const { site, referrer } = via;
      const source = this.sources.get(referrer);
      // The frame is built only if the check fails (it splits the referrer's whole source).
      checkAttributes(resolution, site.specifier, site.attributes, {
        url: referrer, line: site.line, column: site.column,
        get frame() { return source ? codeFrame(source, site.line, site.column - 1) : undefined; },
      });
    }
    if ((this.records.has(resolution.key) && virtualSource === undefined) || pending.has(resolution.key)) return;
    const node: Pending = { resolution, imports: [], targets: new Map() };
    pending.set(resolution.key, node);
    if (resolution.kind === 'allowed') return;
    const { url } = resolution;
    // Reads and analysis are synchronous (load/source.ts): give the event loop (and the
    // operation's deadline timer) a turn every few dozen files of a large graph.
    if (++this.filesSinceYield >= YIELD_EVERY_FILES) {
      this.filesSinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const source = virtualSource ?? await readModuleText(resolution.path, url, this.options.limits);
    this.sources.set(url, source);
    node.source = source;
    if (url.endsWith('.json')) {
      try {
        node.json = JSON.parse(source);
      } catch (error) {
        throw new LoadError(`${url} is not valid JSON: ${(error as Error).message}`, { url, ...jsonErrorAt(source, (error as Error).message) });
      }
      return;
    }
    // TypeScript is stripped to spaces, so positions in `code` are positions in `source`.
    const code = isTypeScript(url) ? stripTypes(source, url) : source;
    const analysis = analyzeModule(code, url, undefined, this.options.realm.metered);
    node.code = analysis.code;
    node.edits = analysis.edits;
    node.imports = analysis.imports;
    node.topLevelAwait = analysis.topLevelAwait;
    node.straightLine = analysis.straightLine;
    node.analysis = analysis;
    for (const d of policyFindings(analysis, code, url, this.options.policy, this.env, this.options.policyFingerprint)) diagnostics.push(d);
    await Promise.all(analysis.imports.filter((site) => !site.dynamic).map(async (site) => {
      try {
        // The frame is only read if resolving fails: building it splits the whole source, per import.
        const where = { url, line: site.line, column: site.column, get frame() { return codeFrame(source, site.line, site.column - 1); } };
        const target = await resolveSpecifier(site.specifier, url, this.options.resolver, where);
        node.targets.set(site.specifier, target.key);
        try {
          await this.visit(target, { site, referrer: url }, pending, diagnostics, failures);
        } catch (error) {
          throw importedBy(error, target, `${url}:${site.line}:${site.column}`);
        }
      } catch (error) {
        failures.push(error);
      }
    }));
  }

  private compile(node: Pending): ModuleRecord {
    const { realm, membrane } = this.options;
    const { resolution } = node;
    let module: vm.Module;
    if (resolution.kind === 'allowed') {
      module = createAllowedModule(resolution.specifier, this.options.modules.get(resolution.specifier)!, realm, membrane);
    } else if (node.code === undefined) {
      const value = node.json;
      module = new vm.SyntheticModule(['default'], function (this: vm.SyntheticModule) {
        this.setExport('default', membrane.toSandbox(value));
      }, { context: realm.context, identifier: resolution.url });
    } else {
      const { url } = resolution;
      realm.kit.registerModule(url, node.edits ?? '');
      // A module compiled from a code cache loses its importModuleDynamically on Node 20 and 24:
      // its import() then never reaches the resolver (it stayed pending, or rejected with "A
      // dynamic import callback was not specified"). Modules that may call import() never use one.
      const analysis = mayImportDynamically(node.code) ? undefined : node.analysis;
      const cachedData = analysis?.codeCache;
      try {
        module = new vm.SourceTextModule(node.code, {
          context: realm.context,
          identifier: url,
          cachedData,
          initializeImportMeta: (meta) => {
            Object.defineProperty(meta, 'url', { value: url, writable: true, enumerable: true, configurable: true });
            if (this.options.importMeta.size > 0) this.extendImportMeta(meta, url);
          },
          importModuleDynamically: ((specifier: string, _referrer: unknown, attributes: Record<string, string>) =>
            this.dynamicImport(specifier, url, attributes ?? {})) as never,
        });
      } catch (error) {
        // What acorn accepted and V8 refuses (a `using` declaration on Node 20, say): V8 gives no position.
        throw new SandboxSyntaxError(`${messageOf(error)} in ${url}`, { url });
      }
      // Made before linking or evaluation, as Node requires: it holds what V8 compiled eagerly.
      if (analysis !== undefined && cachedData === undefined && ++analysis.compiles >= 2) {
        // Node has it since 13.7; @types/node 20 does not declare it on SourceTextModule.
        analysis.codeCache = (module as vm.SourceTextModule & { createCachedData(): Buffer }).createCachedData();
      }
    }
    const record: ModuleRecord = { key: resolution.key, module, targets: node.targets, imports: node.imports,
      topLevelAwait: node.topLevelAwait ?? false, straightLine: node.straightLine === true && node.targets.size === 0 };
    this.records.set(record.key, record);
    this.byModule.set(module, record);
    return record;
  }

  /**
   * The extra import.meta properties: each provider's default export, called with the module's URL.
   * V8 asks for import.meta during the module's evaluation, so this runs inside that turn. The
   * provider is a function of the realm (trusted source, or a bridge the membrane made), read from
   * a namespace binding, so no user code runs on the way to calling it.
   */
  private extendImportMeta(meta: object, url: string): void {
    for (const [name, specifier] of this.options.importMeta) {
      const module = this.records.get(allowedKey(specifier))?.module;
      if (module === undefined || module.status !== 'evaluated') continue;
      const provide = ReflectGetOwnPropertyDescriptor(module.namespace, 'default')?.value as unknown;
      if (typeof provide !== 'function') continue;
      Object.defineProperty(meta, name, { value: ReflectApply(provide, undefined, [url]), writable: true, enumerable: true, configurable: true });
    }
  }

  private async link(created: ModuleRecord[], entry: ModuleRecord): Promise<void> {
    const target = (record: ModuleRecord | undefined, specifier: string): vm.Module => {
      const key = record?.targets.get(specifier);
      const found = key === undefined ? undefined : this.records.get(key);
      if (found === undefined) throw new ResolveError(specifier, record?.key, 'it was not loaded');
      return found.module;
    };
    try {
      if (hasLinkRequests) {
        for (const record of created) {
          const module = record.module as vm.SourceTextModule & { moduleRequests?: Array<{ specifier: string }>; linkRequests?(m: vm.Module[]): void };
          if (module.linkRequests === undefined || module.status !== 'unlinked') continue;
          module.linkRequests((module.moduleRequests ?? []).map((request) => target(record, request.specifier)));
        }
        const root = entry.module as vm.Module & { instantiate?(): void };
        if (root.status === 'unlinked' || root.status === 'linking') root.instantiate?.();
      } else if (entry.module.status === 'unlinked') {
        await entry.module.link((specifier, referencing) => {
          const module = target(this.byModule.get(referencing), specifier);
          // Node 20's link() refuses a module whose evaluation threw ("resolved to an errored module"),
          // where the spec links it and the importer's evaluation rejects with that module's error.
          if (module.status === 'errored') throw new ErroredDependency(module);
          return module;
        });
      }
    } catch (error) {
      if (error instanceof EsmSandboxError || error instanceof ErroredDependency) throw error;
      throw this.linkError(messageOf(error), created);
    }
  }

  /** Where an `import()` of `specifier` in `referrer` is (locate.ts): call it synchronously from importModuleDynamically. */
  dynamicSite(referrer: string, specifier: string): SourceLocation {
    return dynamicImportSite(referrer, specifier, this.records.get(referrer)?.imports, this.sources.get(referrer),
      () => this.options.realm.kit.callerFrames());
  }

  private linkError(message: string, created: ModuleRecord[]): LinkError {
    return locateLinkError(message, created, (url) => this.sources.get(url));
  }
}
