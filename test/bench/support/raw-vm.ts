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

/** Load a graph of files with relative imports into one fresh context; returns the entry's namespace. */
export async function rawGraph(entryUrl: string): Promise<Record<string, unknown>> {
  const context = vm.createContext();
  const modules = new Map<string, Promise<vm.SourceTextModule>>();
  const load = (url: string): Promise<vm.SourceTextModule> => {
    let module = modules.get(url);
    if (module === undefined) {
      module = readFile(new URL(url), 'utf8').then((source) => new vm.SourceTextModule(source, { context, identifier: url }));
      modules.set(url, module);
    }
    return module;
  };
  const entry = await load(entryUrl);
  await entry.link((specifier, referencing) => load(new URL(specifier, referencing.identifier).href));
  await entry.evaluate();
  return entry.namespace as Record<string, unknown>;
}
