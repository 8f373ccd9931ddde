/**
 * The sandbox's module graph: every file is loaded once, analysed, compiled into a
 * `vm.SourceTextModule` of the sandbox's context, and linked only to what the resolver allowed.
 *
 * Loading runs in steps, as SES splits load / link / instance: the load step (load/load-graph.ts:
 * read, analyse, resolve, collecting every finding); stop with all policy errors at once; only
 * then compile (compile.ts) and link (link.ts). A failed load leaves the graph as it was.
 */
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import type { ImportSite } from '../analyze/analyze.js';
import { codeMayUseBigInt } from '../analyze/bigint-use.js';
import { sandboxEnvironment } from '../analyze/environment.js';
import type { ResolvedPolicy } from '../analyze/policy/engine.js';
import type { Diagnostic } from '../analyze/policy/types.js';
import { ReflectApply, ReflectGetOwnPropertyDescriptor } from '../commons.js';
import { EsmSandboxError, LinkError, PolicyError, ResolveError, type SourceLocation } from '../errors/errors.js';
import { codeFrame } from '../errors/frame.js';
import { loadGraph, type LoadContext } from '../load/load-graph.js';
import type { DiskCache } from '../load/disk-cache.js';
import { checkAttributes } from '../load/module-checks.js';
import type { LoadLimits } from '../load/source.js';
import type { Membrane } from '../membrane/membrane.js';
import { allowedKey, type Resolution, type ResolverOptions } from '../resolve/resolver.js';
import type { Realm } from '../run/realm.js';
import type { ModuleDefinition } from './allowed.js';
import { CommonJSModules } from './commonjs.js';
import { compileModule, type CompileContext } from './compile.js';
import { ErroredDependency, linkModules } from './link.js';
import { dynamicImportSite, locateLinkError, messageOf } from './locate.js';

export { ErroredDependency } from './link.js';

export interface GraphOptions {
  realm: Realm;
  membrane: Membrane;
  resolver: ResolverOptions;
  modules: ReadonlyMap<string, ModuleDefinition>;
  policy: ResolvedPolicy;
  policyFingerprint: string;
  limits: LoadLimits;
  /** The analysis cache on disk (SandboxOptions.cacheDir), if any. */
  disk: DiskCache | undefined;
  /** Extra `import.meta` property → allow-listed provider specifier (SandboxOptions.importMeta). */
  importMeta: ReadonlyMap<string, string>;
  /** Findings below `error` severity. */
  onWarning(diagnostic: Diagnostic): void;
  /** `import()` from sandbox code: load, link and evaluate, or throw. */
  dynamicImport(specifier: string, referrer: string, attributes: Record<string, string>): Promise<vm.Module>;
}

interface ModuleRecord {
  key: string;
  module: vm.Module;
  targets: Map<string, string>;
  imports: ImportSite[];
  topLevelAwait: boolean;
  straightLine: boolean;
  /** Sandbox code (a file or an evaluated source), not an allow-listed or JSON module. */
  userCode: boolean;
}

export class ModuleGraph {
  private readonly records = new Map<string, ModuleRecord>();
  private readonly byModule = new WeakMap<vm.Module, ModuleRecord>();
  private readonly sources = new Map<string, string>();
  /** Keys of modules whose source came from `evaluate()`, not from disk. */
  private readonly virtual = new Set<string>();
  private readonly loading: LoadContext;
  private readonly compiling: CompileContext;
  private readonly commonjs: CommonJSModules;

  constructor(private readonly options: GraphOptions) {
    const env = sandboxEnvironment(options.resolver, ['url', ...options.importMeta.keys()]);
    this.loading = {
      resolver: options.resolver,
      policy: options.policy,
      env,
      policyFingerprint: options.policyFingerprint,
      limits: options.limits,
      metered: options.realm.metered,
      disk: options.disk,
      isLoaded: (key) => this.records.has(key),
      sourceOf: (url) => this.sources.get(url),
      onSource: (url, source) => {
        this.sources.set(url, source);
      },
    };
    this.compiling = {
      realm: options.realm,
      membrane: options.membrane,
      modules: options.modules,
      extendImportMeta: options.importMeta.size > 0 ? (meta, url) => this.extendImportMeta(meta, url) : undefined,
      importDynamically: (specifier, referrer, attributes) => this.dynamicImport(specifier, referrer, attributes),
    };
    this.commonjs = new CommonJSModules(
      options.realm,
      options.membrane,
      options.resolver,
      (url) => this.sources.get(url),
      (key) => this.records.has(key),
    );
  }

  /** CommonJS `require()` from the file `referrer`, inside a turn (link/commonjs.ts). */
  require(referrer: string, specifier: string): string {
    return this.commonjs.require(referrer, specifier);
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

  /**
   * Does evaluating `module` run sandbox code? Not for an allow-listed or JSON module, which
   * imports nothing: its evaluation runs trusted source or copies host data (Realm.evaluate).
   */
  runsUserCode(module: vm.Module): boolean {
    return this.byModule.get(module)?.userCode !== false;
  }

  /** The original source of a loaded module, for code frames. */
  sourceOf(url: string): string | undefined {
    return this.sources.get(url);
  }

  /** The module behind a resolved specifier, loaded and linked (not yet evaluated). */
  async prepare(entry: Resolution, virtualSource?: string): Promise<vm.Module> {
    const known = this.records.get(entry.key);
    if (known !== undefined && virtualSource === undefined) return known.module;
    if (virtualSource !== undefined) this.virtual.add(entry.key);
    const { modules, diagnostics, failures } = await loadGraph(entry, this.loading, virtualSource);
    // Files finish loading in any order: report in a stable one (file, then position).
    diagnostics.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column));
    if (diagnostics.some((d) => d.severity === 'error')) throw new PolicyError(diagnostics);
    for (const d of diagnostics) this.options.onWarning(d);
    if (failures.length > 0) throw failures[0];
    const created: ModuleRecord[] = [];
    for (const loaded of modules.values()) {
      this.commonjs.note(loaded);
      if (loaded.code !== undefined && codeMayUseBigInt(loaded.code, loaded.analysis)) this.options.realm.enableBigInt();
    }
    try {
      for (const loaded of modules.values()) {
        const { commonjs } = loaded;
        const module =
          commonjs === undefined ? compileModule(loaded, this.compiling) : this.commonjs.compile({ ...loaded, commonjs }, this.compiling);
        const record: ModuleRecord = {
          key: loaded.resolution.key,
          module,
          targets: loaded.targets,
          imports: loaded.imports,
          topLevelAwait: loaded.topLevelAwait ?? false,
          straightLine: loaded.straightLine === true && loaded.targets.size === 0,
          userCode: loaded.code !== undefined,
        };
        this.records.set(record.key, record);
        this.byModule.set(module, record);
        created.push(record);
      }
      await this.link(created, this.records.get(entry.key)!);
    } catch (error) {
      for (const record of created) this.records.delete(record.key);
      for (const key of modules.keys()) if (!this.records.has(key)) this.commonjs.forget(key);
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
    checkAttributes(
      resolution,
      specifier,
      attributes,
      site === undefined
        ? { url: referrer }
        : {
            url: referrer,
            line: site.line,
            column: site.column,
            frame: source ? codeFrame(source, site.line, site.column - 1) : undefined,
          },
    );
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
      Object.defineProperty(meta, name, {
        value: ReflectApply(provide, undefined, [url]),
        writable: true,
        enumerable: true,
        configurable: true,
      });
    }
  }

  private async link(created: ModuleRecord[], entry: ModuleRecord): Promise<void> {
    const target = (referencing: vm.Module, specifier: string): vm.Module => {
      const record = this.byModule.get(referencing);
      const key = record?.targets.get(specifier);
      const found = key === undefined ? undefined : this.records.get(key);
      if (found === undefined) throw new ResolveError(specifier, record?.key, 'it was not loaded');
      return found.module;
    };
    try {
      await linkModules(
        created.map((record) => record.module),
        entry.module,
        target,
      );
    } catch (error) {
      if (error instanceof EsmSandboxError || error instanceof ErroredDependency) throw error;
      throw this.linkError(messageOf(error), created);
    }
  }

  /** Where an `import()` of `specifier` in `referrer` is (locate.ts): call it synchronously from importModuleDynamically. */
  dynamicSite(referrer: string, specifier: string): SourceLocation {
    return dynamicImportSite(referrer, specifier, this.records.get(referrer)?.imports, this.sources.get(referrer), () =>
      this.options.realm.kit.callerFrames(),
    );
  }

  private linkError(message: string, created: ModuleRecord[]): LinkError {
    return locateLinkError(message, created, (url) => this.sources.get(url));
  }
}
