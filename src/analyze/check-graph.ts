/**
 * Policy findings for a whole import graph, without running anything: the same resolver,
 * loader and analysis a sandbox uses, so `check` reports exactly what a load would refuse.
 * Problems that stop a load (a syntax error, an import that cannot resolve) become findings too.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_MAX_MODULE_BYTES } from '../constants.js';
import { EsmSandboxError } from '../errors/errors.js';
import { codeFrame } from '../errors/frame.js';
import { readModuleText } from '../load/source.js';
import { isTypeScript, stripTypes } from '../transform/typescript.js';
import { specifierUnder } from '../resolve/paths.js';
import { resolveSpecifier, type ResolverOptions } from '../resolve/resolver.js';
import { analyzeModule, policyFindings } from './analyze.js';
import { environmentFor, sandboxEnvironment } from './environment.js';
import type { ResolvedPolicy } from './policy/engine.js';
import type { Diagnostic } from './policy/types.js';

export interface CheckGraphOptions {
  resolver: ResolverOptions;
  policy: ResolvedPolicy;
  maxModuleBytes?: number;
}

export async function checkGraph(entry: string, options: CheckGraphOptions): Promise<Diagnostic[]> {
  const env = sandboxEnvironment(options.resolver, ['url']);
  const listed = options.resolver.packages === undefined ? [] : [...options.resolver.packages.options.listed].sort();
  const fingerprint = JSON.stringify([options.policy.rules, allowListToken(options.resolver.isAllowed), listed]);
  const seen = new Set<string>();
  const found: Diagnostic[] = [];
  const limits = { maxModuleBytes: options.maxModuleBytes ?? DEFAULT_MAX_MODULE_BYTES };

  const visit = async (specifier: string, referrer: string, where: { line?: number; column?: number; frame?: string }) => {
    let url: string;
    let path: string;
    try {
      const resolution = await resolveSpecifier(specifier, referrer, options.resolver, { url: referrer, ...where });
      if (resolution.kind !== 'file') return;
      ({ url, path } = resolution);
    } catch (error) {
      // A refused specifier is already an error of no-disallowed-import, unless that rule is off or
      // only warns: then the load still refuses it, so the refusal is the finding.
      const reported = options.policy.rules['no-disallowed-import'] === 'error' && where.line !== undefined;
      if (!(reported && error instanceof EsmSandboxError && error.code === 'ERR_SANDBOX_MODULE_NOT_ALLOWED')) {
        found.push(asDiagnostic(error, referrer, where));
      }
      return;
    }
    if (seen.has(url)) return;
    seen.add(url);
    try {
      const source = readModuleText(path, url, limits);
      if (url.endsWith('.json')) return;
      const code = isTypeScript(url) ? stripTypes(source, url) : source;
      const analysis = analyzeModule(code, url);
      found.push(...policyFindings(analysis, code, url, options.policy, environmentFor(env, options.resolver, url), fingerprint));
      await Promise.all(analysis.imports.map((site) => visit(site.specifier, url, {
        line: site.line, column: site.column, frame: codeFrame(source, site.line, site.column - 1),
      })));
    } catch (error) {
      found.push(asDiagnostic(error, url, {}));
    }
  };
  // An entry outside the root goes to the resolver as it is, and its refusal is the finding.
  const specifier = (isAbsolute(entry) ? specifierUnder(options.resolver.root, entry) : undefined) ?? entry;
  await visit(specifier, pathToFileURL(`${options.resolver.root}/`).href, {});
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
function asDiagnostic(error: unknown, file: string, where: { line?: number; column?: number; frame?: string }): Diagnostic {
  const e = error instanceof EsmSandboxError ? error : undefined;
  const line = e?.line ?? where.line ?? 1;
  // Errors and import sites carry 1-based columns, as Diagnostic does.
  const column = e?.column ?? where.column ?? 1;
  return {
    ruleId: e ? e.code.toLowerCase().replace(/^err_sandbox_/, 'load-').replace(/_/g, '-') : 'load-error',
    severity: 'error',
    message: withoutLocation(error instanceof Error ? error.message : String(error), e),
    file: e?.url ?? file,
    line,
    column,
    endLine: line,
    endColumn: column + 1,
    frame: e?.frame ?? where.frame ?? '',
  };
}
