/**
 * The raw `node:vm` baselines: what the same work costs with no policy, no guard transform, no
 * resolver confinement, no membrane and no turns. Not a sandbox (docs/ARCHITECTURE.md section 10): a floor.
 */
import { readFile } from 'node:fs/promises';
import vm from 'node:vm';

/**
 * `vm.createContext()` (or the `context` given, made ahead of need) + `new vm.SourceTextModule(source)`
 * linked (no imports) and evaluated; returns its namespace.
 */
export async function rawModule(source: string, context: vm.Context = vm.createContext()): Promise<Record<string, unknown>> {
  const module = new vm.SourceTextModule(source, { context });
  await module.link(() => {
    throw new Error('no imports expected');
  });
  await module.evaluate();
  return module.namespace as Record<string, unknown>;
}

/**
 * V8's code cache by source text, kept across loads: what a loader that caches compiled code has.
 * As in esm-sandbox (link/compile.ts), the cache of a text is made at its second compile and used
 * from the third on, so a text compiled once (the changed leaf of a reload) never pays for it.
 */
export class RawCodeCache {
  private readonly compiles = new Map<string, number>();
  private readonly data = new Map<string, Buffer>();

  compile(source: string, context: vm.Context, identifier: string): vm.SourceTextModule {
    const cachedData = this.data.get(source);
    const module = new vm.SourceTextModule(source, { context, identifier, cachedData });
    if (cachedData === undefined) {
      const compiles = (this.compiles.get(source) ?? 0) + 1;
      this.compiles.set(source, compiles);
      // Node has it since 13.7; @types/node 20 does not declare it on SourceTextModule.
      if (compiles >= 2) this.data.set(source, (module as vm.SourceTextModule & { createCachedData(): Buffer }).createCachedData());
    }
    return module;
  }
}

/**
 * Load a graph of files with relative imports into one fresh context; returns the entry's namespace.
 * With `cache`, modules are compiled with V8's code cache of an earlier compile of the same text.
 */
export async function rawGraph(entryUrl: string, cache?: RawCodeCache): Promise<Record<string, unknown>> {
  const context = vm.createContext();
  const modules = new Map<string, Promise<vm.SourceTextModule>>();
  const compile = (source: string, url: string) =>
    cache === undefined ? new vm.SourceTextModule(source, { context, identifier: url }) : cache.compile(source, context, url);
  const load = (url: string): Promise<vm.SourceTextModule> => {
    let module = modules.get(url);
    if (module === undefined) {
      module = readFile(new URL(url), 'utf8').then((source) => compile(source, url));
      modules.set(url, module);
    }
    return module;
  };
  const entry = await load(entryUrl);
  await entry.link((specifier, referencing) => load(new URL(specifier, referencing.identifier).href));
  await entry.evaluate();
  return entry.namespace as Record<string, unknown>;
}
