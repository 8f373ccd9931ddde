/**
 * The compile step: one loaded module (load/load-graph.ts) becomes a `vm.Module` of the sandbox's
 * context. Source modules become `SourceTextModule`s (with V8's code cache when that is safe: code-cache.ts),
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
import { compileCached, persistAfterCompile } from './code-cache.js';
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
  const { extendImportMeta } = context;
  realm.kit.registerModule(url, loaded.edits ?? '');
  // A module compiled from a code cache loses its importModuleDynamically on Node 20 and 24: its
  // import() then never reaches the resolver (it stayed pending, or rejected with "A dynamic
  // import callback was not specified"). Modules that may call import() never use one.
  const cached = mayImportDynamically(loaded.code) ? undefined : loaded.analysis;
  let module: vm.SourceTextModule;
  try {
    module = compileCached(
      loaded.code,
      {
        context: realm.context,
        identifier: url,
        initializeImportMeta: (meta) => {
          Object.defineProperty(meta, 'url', { value: url, writable: true, enumerable: true, configurable: true });
          extendImportMeta?.(meta, url);
        },
        importModuleDynamically: ((specifier: string, _referrer: unknown, attributes: Record<string, string> | undefined) =>
          context.importDynamically(specifier, url, attributes ?? {})) as never,
      },
      cached,
    );
  } catch (error) {
    // What acorn accepted and V8 refuses (a `using` declaration on Node 20, say): V8 gives no position.
    throw new SandboxSyntaxError(`${messageOf(error)} in ${url}`, { url });
  }
  persistAfterCompile(loaded.analysis);
  return module;
}
