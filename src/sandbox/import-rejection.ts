/**
 * What sandbox code sees when its `import()` fails before the target ran. Where ECMA-262 names the
 * error (a parse error, an early error, an import that does not link: ParseModule, ResolveExport),
 * it is the realm's own SyntaxError, named so, as test262 checks. Where the host decides (the
 * allow-list, the resolver, the loader, the policy refused the module), it is a realm TypeError,
 * as a browser or Node's loader gives for a module it will not load; it keeps esm-sandbox's name
 * and `code`, so code that tells refusals apart still can. What an evaluation threw is not mapped
 * here: the sandbox gets that value itself (context-sandbox.ts).
 */
import {
  EsmSandboxError,
  LinkError,
  LoadError,
  MembraneError,
  ModuleNotAllowedError,
  PolicyError,
  ResolveError,
  SandboxSyntaxError,
} from '../errors/errors.js';
import type { RealmErrorShape } from '../membrane/to-sandbox.js';

export function importRejectionShape(error: unknown): RealmErrorShape | undefined {
  if (!(error instanceof EsmSandboxError)) return undefined;
  if (error instanceof SandboxSyntaxError || error instanceof LinkError) return { base: 'SyntaxError', name: 'SyntaxError' };
  if (
    error instanceof ModuleNotAllowedError ||
    error instanceof ResolveError ||
    error instanceof LoadError ||
    error instanceof PolicyError ||
    error instanceof MembraneError
  ) {
    return { base: 'TypeError', name: error.name };
  }
  // Timeout, deadline, memory, disposal: the sandbox is being stopped, not refused a module.
  return undefined;
}
