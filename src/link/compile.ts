/**
 * The compile step: one loaded module (load/load-graph.ts) becomes a `vm.Module` of the sandbox's
 * context. Source modules become `SourceTextModule`s (with V8's code cache when that is safe),
 * JSON modules `SyntheticModule`s holding a sandbox copy of their value, and allow-listed
 * specifiers the membrane's bridge modules (allowed.ts).
 */
import vm from 'node:vm';
import { SandboxSyntaxError } from '../errors/errors.js';
import type { LoadedModule } from '../load/load-graph.js';
import { mayImportDynamically } from '../load/module-checks.js';
import type { Membrane } from '../membrane/membrane.js';
import type { Realm } from '../run/realm.js';
import { createAllowedModule, type ModuleDefinition } from './allowed.js';
import { messageOf } from './locate.js';

export interface CompileContext {
  realm: Realm;
  membrane: Membrane;
  modules: ReadonlyMap<string, ModuleDefinition>;
  /** Properties of `import.meta` beyond `url`, defined when V8 first asks for it. */
  extendImportMeta?(meta: object, url: string): void;
  /** `import()` from the module at `referrer`. */
  importDynamically(specifier: string, referrer: string, attributes: Record<string, string>): Promise<vm.Module>;
}

export function compileModule(loaded: LoadedModule, context: CompileContext): vm.Module {
  const { realm, membrane } = context;
  const { resolution } = loaded;
  if (resolution.kind === 'allowed') {
    return createAllowedModule(resolution.specifier, context.modules.get(resolution.specifier)!, realm, membrane);
  }
  if (loaded.code === undefined) {
    const value = loaded.json;
    return new vm.SyntheticModule(
      ['default'],
      function (this: vm.SyntheticModule) {
        this.setExport('default', membrane.toSandbox(value));
      },
      { context: realm.context, identifier: resolution.url },
    );
  }
  const { url } = resolution;
  const { code } = loaded;
  const { extendImportMeta } = context;
  realm.kit.registerModule(url, loaded.edits ?? '');
  // A module compiled from a code cache loses its importModuleDynamically on Node 20 and 24: its
  // import() then never reaches the resolver (it stayed pending, or rejected with "A dynamic
  // import callback was not specified"). Modules that may call import() never use one.
  const analysis = mayImportDynamically(code) ? undefined : loaded.analysis;
  const compile = (cachedData: Buffer | undefined) =>
    new vm.SourceTextModule(code, {
      context: realm.context,
      identifier: url,
      cachedData,
      initializeImportMeta: (meta) => {
        Object.defineProperty(meta, 'url', { value: url, writable: true, enumerable: true, configurable: true });
        extendImportMeta?.(meta, url);
      },
      importModuleDynamically: ((specifier: string, _referrer: unknown, attributes: Record<string, string> | undefined) =>
        context.importDynamically(specifier, url, attributes ?? {})) as never,
    });
  let module: vm.SourceTextModule;
  try {
    try {
      module = compile(analysis?.codeCache);
    } catch (error) {
      // A code cache from disk made by a V8 with other flags: compile from source, and store a new one.
      if (analysis === undefined || (error as { code?: unknown }).code !== 'ERR_VM_MODULE_CACHED_DATA_REJECTED') throw error;
      analysis.codeCache = undefined;
      if (analysis.restored !== undefined) (analysis.persist ??= []).push(analysis.restored);
      module = compile(undefined);
    }
  } catch (error) {
    // What acorn accepted and V8 refuses (a `using` declaration on Node 20, say): V8 gives no position.
    throw new SandboxSyntaxError(`${messageOf(error)} in ${url}`, { url });
  }
  // Made before linking or evaluation, as Node requires: it holds what V8 compiled eagerly. With a
  // disk cache waiting for this analysis, at the first compile (the next process compiles from it).
  if (analysis !== undefined && analysis.codeCache === undefined && (analysis.persist !== undefined || ++analysis.compiles >= 2)) {
    // Node has it since 13.7; @types/node 20 does not declare it on SourceTextModule.
    analysis.codeCache = (module as vm.SourceTextModule & { createCachedData(): Buffer }).createCachedData();
  }
  const pending = loaded.analysis?.persist;
  if (pending !== undefined) {
    loaded.analysis!.persist = undefined;
    for (const write of pending) write();
  }
  return module;
}
