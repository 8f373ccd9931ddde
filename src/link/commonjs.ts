/**
 * The host side of CommonJS in a sandbox's graph. Each CommonJS file (load/commonjs.ts) is compiled
 * as a function **of the sandbox's realm** (`vm.compileFunction` with the realm's context as its
 * parsing context: its prototype is the realm's `Function.prototype`, and the realm's ban on
 * code generation holds inside it) and handed to the realm's module cache
 * (run/realm-source/commonjs.ts). An ES module that imports it links to a facade module instead,
 * whose evaluation runs it through that cache.
 *
 * `require()` inside the realm asks this class which file a specifier names: what the load step
 * resolved ahead for a literal specifier, or (for a computed one) the resolver now, limited to
 * files loaded already. Refusals are the errors an import would get, located at the `require()`.
 */
import path from 'node:path';
import vm from 'node:vm';
import { ResolveError, SandboxSyntaxError } from '../errors/errors.js';
import { exportNames, facadeSource, requireSite, type CommonJSInfo } from '../load/commonjs.js';
import type { LoadedModule } from '../load/load-graph.js';
import { mayImportDynamically } from '../load/module-checks.js';
import type { Membrane } from '../membrane/membrane.js';
import { resolveNow, type ResolverOptions } from '../resolve/resolver.js';
import type { Realm } from '../run/realm.js';
import { persistAfterCompile, type CodeCacheEntry } from './code-cache.js';
import type { CompileContext } from './compile.js';
import { messageOf } from './locate.js';

/** What `vm.compileFunction` may define on the function it returns (see compile). */
const CACHE_PROPERTIES = ['cachedData', 'cachedDataProduced', 'cachedDataRejected'] as const;
type CompiledFunction = ReturnType<typeof vm.compileFunction> & { cachedData?: Buffer; cachedDataRejected?: boolean };

/** Facade text → V8's code cache for it, or 1 once compiled (see compile). */
const facadeCaches = new Map<string, Buffer | 1>();
const MAX_FACADE_CACHES = 1_000;

/** Node's wrapper parameters, in Node's order. */
const WRAPPER = ['exports', 'require', 'module', '__filename', '__dirname'];

export class CommonJSModules {
  private readonly infos = new Map<string, CommonJSInfo>();
  /** JSON files of the graph, by key, until a `require()` asks for one (then the realm holds a copy). */
  private readonly json = new Map<string, unknown>();
  private readonly jsonRegistered = new Set<string>();

  constructor(
    private readonly realm: Realm,
    private readonly membrane: Membrane,
    private readonly resolver: ResolverOptions,
    private readonly sourceOf: (url: string) => string | undefined,
    private readonly isLoaded: (key: string) => boolean,
  ) {}

  /** Tell of a freshly loaded module before anything is compiled (a facade needs its re-exports' names). */
  note(loaded: LoadedModule): void {
    const { resolution } = loaded;
    if (resolution.kind !== 'file') return;
    if (loaded.commonjs !== undefined) this.infos.set(resolution.key, loaded.commonjs);
    else if (loaded.code === undefined && loaded.json !== undefined) this.json.set(resolution.key, loaded.json);
  }

  /** A failed prepare: the module was never compiled. */
  forget(key: string): void {
    this.infos.delete(key);
    this.json.delete(key);
  }

  /** The CommonJS file's function, compiled in the realm and registered there; returns its facade. */
  compile(loaded: LoadedModule & { commonjs: CommonJSInfo }, context: CompileContext): vm.Module {
    const { realm } = this;
    const { resolution } = loaded;
    if (resolution.kind !== 'file') throw new TypeError('a CommonJS module is a file');
    const { url } = resolution;
    // A hashbang is a comment to Node's CommonJS loader; in a function body it is a syntax error.
    const code = loaded.code!.startsWith('#!') ? `//${loaded.code!.slice(2)}` : loaded.code!;
    realm.kit.registerModule(url, loaded.edits ?? '');
    // V8's code cache as for ES modules (compile.ts, code-cache.ts): made at the second compile
    // (the first when the disk cache waits for it), used from the third, never for code that may
    // call import() (a cached function loses its callback).
    const analysis = mayImportDynamically(code) ? undefined : loaded.analysis;
    const fn = this.compileFunction(code, url, context, analysis);
    persistAfterCompile(loaded.analysis);
    // __filename is the file's real path: what the module's URL (import.meta.url for an ES module) already says.
    realm.kit.registerCommonJS(url, fn, resolution.path, path.dirname(resolution.path));
    const loader = realm.kit.commonjsLoader(url);
    const names = exportNames(url, (key) => this.infos.get(key));
    const source = facadeSource(names);
    const cache = facadeCaches.get(source);
    const facade = new vm.SourceTextModule(source, {
      context: realm.context,
      // Not a registered module URL: the realm's stack traces leave the facade's frame out.
      identifier: `esm-sandbox:commonjs:${url}`,
      cachedData: cache instanceof Buffer ? cache : undefined,
      initializeImportMeta: (meta) => {
        Object.defineProperty(meta, 'load', { value: loader });
      },
    });
    // Facades of files with the same export names are the same text: one code cache serves them
    // all, made at the second compile of that text (a number until then).
    if (cache === undefined || cache === 1) {
      if (facadeCaches.size >= MAX_FACADE_CACHES) facadeCaches.clear();
      facadeCaches.set(source, cache === 1 ? (facade as vm.SourceTextModule & { createCachedData(): Buffer }).createCachedData() : 1);
    }
    return facade;
  }

  /** `vm.compileFunction` in the realm, from and for `analysis`'s code cache when there is one. */
  private compileFunction(code: string, url: string, context: CompileContext, analysis: CodeCacheEntry | undefined): CompiledFunction {
    const cachedData = analysis?.codeCache;
    const produceCachedData =
      analysis !== undefined && cachedData === undefined && (analysis.persist !== undefined || ++analysis.compiles >= 2);
    let fn: CompiledFunction;
    try {
      fn = vm.compileFunction(code, WRAPPER, {
        parsingContext: this.realm.context,
        filename: url,
        cachedData,
        produceCachedData,
        importModuleDynamically: ((specifier: string, _referrer: unknown, attributes: Record<string, string> | undefined) =>
          context.importDynamically(specifier, url, attributes ?? {})) as never,
      });
    } catch (error) {
      throw new SandboxSyntaxError(`${messageOf(error)} in ${url}`, { url });
    }
    // Node hangs the cache and its verdicts on the function itself: a host Buffer on a realm
    // function would hand sandbox code the host's constructors. Taken off before the realm has it.
    const made = fn.cachedData;
    const rejected = fn.cachedDataRejected === true;
    for (const key of CACHE_PROPERTIES) Reflect.deleteProperty(fn, key);
    if (analysis === undefined) return fn;
    if (produceCachedData && made !== undefined) analysis.codeCache = made;
    if (rejected) {
      // A code cache from disk made by a V8 with other flags: V8 compiled from source. Compiled
      // again for a cache this V8 takes, and the entry rewritten with it (rare: once per entry).
      analysis.codeCache = undefined;
      if (analysis.restored === undefined) return fn;
      (analysis.persist ??= []).push(analysis.restored);
      return this.compileFunction(code, url, context, analysis);
    }
    return fn;
  }

  /**
   * `require(specifier)` in the CommonJS file `referrer`, inside a turn: the key of the file it
   * names, once that file is registered in the realm.
   * @throws what resolving threw (ModuleNotAllowedError, ResolveError), or a ResolveError for what
   *   `require()` cannot load here (an ES module, a file the load step did not see)
   */
  require(referrer: string, specifier: string): string {
    const info = this.infos.get(referrer);
    const site = info?.sites.find((s) => s.specifier === specifier);
    const where = requireSite(referrer, this.sourceOf(referrer), site);
    let target = info?.requires.get(specifier);
    if (target instanceof Error) throw target;
    if (target === undefined) {
      target = resolveNow(specifier, referrer, this.resolver, where, 'require').key;
      if (!this.isLoaded(target)) {
        throw new ResolveError(
          specifier,
          referrer,
          'require() with a specifier that is not a string literal reaches only files loaded already (a literal one is loaded ahead)',
          where,
        );
      }
    }
    if (this.infos.has(target)) return target;
    if (this.json.has(target)) {
      if (!this.jsonRegistered.has(target)) {
        this.realm.kit.registerCommonJSValue(target, this.membrane.toSandbox(this.json.get(target)));
        this.jsonRegistered.add(target);
      }
      return target;
    }
    throw new ResolveError(
      specifier,
      referrer,
      'it is an ES module or an allow-listed module; require() in the sandbox loads CommonJS and JSON files (import it instead)',
      where,
    );
  }
}
