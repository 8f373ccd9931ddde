/**
 * Policy findings for a whole import graph, without running anything: `esm-sandbox check`. It runs
 * the sandbox's own load step (load-graph.ts: the same reads, analysis, resolver and attribute
 * checks), so it reports what a load would refuse; problems that stop a load (a syntax error, an
 * import that cannot resolve, a JSON import without its attribute) become findings too. It also
 * follows `import()` of literal specifiers, which a run would load when it reaches them.
 *
 * A CommonJS file's literal `require()` calls are followed too (load/commonjs.ts); one that cannot
 * resolve is a warning, since a load lets it through for `require()` to throw when it runs.
 *
 * Not found here: what only compiling and linking find (an imported name the target does not
 * export, syntax V8 refuses and acorn accepts). They need the sandbox's realm.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_MAX_MODULE_BYTES } from '../constants.js';
import { EsmSandboxError } from '../errors/errors.js';
import { sandboxEnvironment } from '../analyze/environment.js';
import type { ResolvedPolicy } from '../analyze/policy/engine.js';
import type { Diagnostic } from '../analyze/policy/types.js';
import { specifierUnder } from '../resolve/paths.js';
import { resolveSpecifier, type ResolverOptions } from '../resolve/resolver.js';
import { loadGraph } from './load-graph.js';

export interface CheckGraphOptions {
  resolver: ResolverOptions;
  policy: ResolvedPolicy;
  maxModuleBytes?: number;
  /** Properties of `import.meta` beyond `url` the sandbox would define (SandboxOptions.importMeta). */
  importMeta?: readonly string[];
  /** Follow `import()` of literal specifiers (default true), as a run that reaches them would load them. */
  dynamicImports?: boolean;
}

export async function checkGraph(entry: string, options: CheckGraphOptions): Promise<Diagnostic[]> {
  const { resolver, policy } = options;
  const rootUrl = pathToFileURL(`${resolver.root}/`).href;
  // An entry outside the root goes to the resolver as it is, and its refusal is the finding.
  const specifier = (isAbsolute(entry) ? specifierUnder(resolver.root, entry) : undefined) ?? entry;
  let resolution;
  try {
    resolution = await resolveSpecifier(specifier, rootUrl, resolver, { url: rootUrl });
  } catch (error) {
    return [asDiagnostic(error, rootUrl)];
  }
  const sources = new Map<string, string>();
  const listed = resolver.packages === undefined ? [] : [...resolver.packages.options.listed].sort();
  const { diagnostics, failures, modules } = await loadGraph(
    resolution,
    {
      resolver,
      policy,
      env: sandboxEnvironment(resolver, ['url', ...(options.importMeta ?? [])]),
      policyFingerprint: JSON.stringify([policy.rules, allowListToken(resolver.isAllowed), options.importMeta ?? [], listed]),
      limits: { maxModuleBytes: options.maxModuleBytes ?? DEFAULT_MAX_MODULE_BYTES },
      isLoaded: () => false,
      sourceOf: (url) => sources.get(url),
      onSource: (url, source) => {
        sources.set(url, source);
      },
      followDynamic: options.dynamicImports ?? true,
    },
    undefined,
  );
  const found = [...diagnostics];
  // A refused specifier is already an error of no-disallowed-import, unless that rule is off or
  // only warns: then the load still refuses it, so the refusal is the finding.
  const reported = new Set(
    diagnostics.filter((d) => d.ruleId === 'no-disallowed-import' && d.severity === 'error').map((d) => `${d.file}:${d.line}`),
  );
  for (const failure of failures) {
    const e = failure instanceof EsmSandboxError ? failure : undefined;
    if (e?.code === 'ERR_SANDBOX_MODULE_NOT_ALLOWED' && reported.has(`${e.url}:${e.line}`)) continue;
    found.push(asDiagnostic(failure, rootUrl));
  }
  // A literal require() that cannot resolve does not stop a load (it throws when it runs, and a
  // package may catch it): a warning, unless a policy error already stands at that line.
  for (const loaded of modules.values()) {
    for (const target of loaded.commonjs?.requires.values() ?? []) {
      if (!(target instanceof EsmSandboxError) || reported.has(`${target.url}:${target.line}`)) continue;
      found.push({ ...asDiagnostic(target, rootUrl), severity: 'warn' });
    }
  }
  return found.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column));
}

/**
 * Findings depend on the allow-list as well as the rules (no-disallowed-import), and the cache in
 * analyze.ts keys them by this fingerprint. The allow-list is a function here, so each distinct
 * function gets a token: the same resolver reuses its findings, another never sees them.
 */
const allowListTokens = new WeakMap<ResolverOptions['isAllowed'], number>();
let nextToken = 0;
function allowListToken(isAllowed: ResolverOptions['isAllowed']): number {
  let token = allowListTokens.get(isAllowed);
  if (token === undefined) allowListTokens.set(isAllowed, (token = nextToken++));
  return token;
}

/** An error's message without the ` (url:line:col)` suffix errors carry: a diagnostic prints its location itself. */
function withoutLocation(message: string, error: EsmSandboxError | undefined): string {
  if (error?.url === undefined || error.line === undefined) return message;
  const suffix = ` (${error.url}:${error.line}:${error.column ?? 1})`;
  return message.endsWith(suffix) ? message.slice(0, -suffix.length) : message;
}

/** A load problem as a finding, located where the error says (or at the importing line). */
function asDiagnostic(error: unknown, file: string): Diagnostic {
  const e = error instanceof EsmSandboxError ? error : undefined;
  const line = e?.line ?? 1;
  // Errors carry 1-based columns, as Diagnostic does.
  const column = e?.column ?? 1;
  return {
    ruleId: e
      ? e.code
          .toLowerCase()
          .replace(/^err_sandbox_/, 'load-')
          .replace(/_/g, '-')
      : 'load-error',
    severity: 'error',
    message: withoutLocation(error instanceof Error ? error.message : String(error), e),
    file: e?.url ?? file,
    line,
    column,
    endLine: line,
    endColumn: column + 1,
    frame: e?.frame ?? '',
  };
}
