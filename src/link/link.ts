/**
 * The link step: connect freshly compiled modules to their imports, through whichever API this
 * Node has. Node 22.23+, 24 and 26 offer `moduleRequests` + `linkRequests()` + `instantiate()`, which
 * link synchronously; Node 20 only the async `link(callback)`.
 */
import vm from 'node:vm';

/**
 * Linking stopped at a module whose evaluation already threw (Node 20 only, see linkModules). Evaluating
 * that module again rejects with what it threw, which is what importing anything above it must do.
 */
export class ErroredDependency extends Error {
  constructor(readonly module: vm.Module) {
    super(`${module.identifier} failed its evaluation earlier`);
  }
}

interface RequestingModule extends vm.SourceTextModule {
  moduleRequests?: Array<{ specifier: string }>;
  linkRequests?(modules: vm.Module[]): void;
  instantiate?(): void;
}

const hasLinkRequests = typeof (vm.SourceTextModule?.prototype as { linkRequests?: unknown } | undefined)?.linkRequests === 'function';

/**
 * Link `created` (compiled, not linked) and instantiate `entry`. `target` answers which module a
 * specifier of a module means (it throws if it was not loaded).
 * @throws ErroredDependency on Node 20 when a dependency's evaluation threw earlier; otherwise what
 *   V8 throws (a SyntaxError naming a missing export), which the graph locates (locate.ts).
 */
export async function linkModules(
  created: readonly vm.Module[],
  entry: vm.Module,
  target: (referencing: vm.Module, specifier: string) => vm.Module,
): Promise<void> {
  if (hasLinkRequests) {
    for (const module of created as RequestingModule[]) {
      if (module.linkRequests === undefined || module.status !== 'unlinked') continue;
      module.linkRequests((module.moduleRequests ?? []).map((request) => target(module, request.specifier)));
    }
    const root = entry as RequestingModule;
    if (root.status === 'unlinked' || root.status === 'linking') root.instantiate?.();
  } else if (entry.status === 'unlinked') {
    await entry.link((specifier, referencing) => {
      const module = target(referencing, specifier);
      // Node 20's link() refuses a module whose evaluation threw ("resolved to an errored module"),
      // where the spec links it and the importer's evaluation rejects with that module's error.
      if (module.status === 'errored') throw new ErroredDependency(module);
      return module;
    });
  }
}
