/**
 * Policy findings for a whole import graph, without running anything: the same resolver,
 * loader and analysis a sandbox uses, so `check` reports exactly what a load would refuse.
 * Problems that stop a load (a syntax error, an import that cannot resolve) become findings too.
 */
import { pathToFileURL } from 'node:url';
import { EsmSandboxError } from '../errors/errors.js';
import { codeFrame } from '../errors/frame.js';
import { readModuleText } from '../load/source.js';
import { resolveSpecifier, type ResolverOptions } from '../resolve/resolver.js';
import { analyzeModule, policyFindings } from './analyze.js';
import type { ResolvedPolicy } from './policy/engine.js';
import type { Diagnostic, PolicyEnvironment } from './policy/types.js';

export interface CheckGraphOptions {
  resolver: ResolverOptions;
  policy: ResolvedPolicy;
  maxModuleBytes?: number;
}

export async function checkGraph(entry: string, options: CheckGraphOptions): Promise<Diagnostic[]> {
  const env: PolicyEnvironment = { isAllowedSpecifier: options.resolver.isAllowed, importMetaProperties: ['url'] };
  const fingerprint = JSON.stringify(options.policy.rules);
  const seen = new Set<string>();
  const found: Diagnostic[] = [];
  const limits = { maxModuleBytes: options.maxModuleBytes ?? 16 * 1024 * 1024 };

  const visit = async (specifier: string, referrer: string, where: { line?: number; column?: number; frame?: string }) => {
    let url: string;
    let path: string;
    try {
      const resolution = await resolveSpecifier(specifier, referrer, options.resolver, { url: referrer, ...where });
      if (resolution.kind !== 'file') return;
      ({ url, path } = resolution);
    } catch (error) {
      // Refusals of disallowed specifiers are already the no-disallowed-import rule's findings.
      if (!(error instanceof EsmSandboxError && error.code === 'ERR_SANDBOX_MODULE_NOT_ALLOWED' && where.line !== undefined)) {
        found.push(asDiagnostic(error, referrer, where));
      }
      return;
    }
    if (seen.has(url)) return;
    seen.add(url);
    try {
      const source = await readModuleText(path, url, limits);
      if (url.endsWith('.json')) return;
      const analysis = analyzeModule(source, url);
      found.push(...policyFindings(analysis, source, url, options.policy, env, fingerprint));
      await Promise.all(analysis.imports.map((site) => visit(site.specifier, url, {
        line: site.line, column: site.column, frame: codeFrame(source, site.line, site.column - 1),
      })));
    } catch (error) {
      found.push(asDiagnostic(error, url, {}));
    }
  };
  await visit(pathToFileURL(entry).href.startsWith('file:') ? toRelative(entry, options.resolver.root) : entry, pathToFileURL(`${options.resolver.root}/`).href, {});
  return found.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column));
}

function toRelative(entry: string, root: string): string {
  return entry.startsWith(root) ? `./${entry.slice(root.length).replace(/^[/\\]+/, '').split('\\').join('/')}` : entry;
}

/** A load problem as a finding, located where the error says (or at the importing line). */
function asDiagnostic(error: unknown, file: string, where: { line?: number; column?: number; frame?: string }): Diagnostic {
  const e = error instanceof EsmSandboxError ? error : undefined;
  const line = e?.line ?? where.line ?? 1;
  const column = (e?.column ?? where.column ?? 1) - 1;
  return {
    ruleId: e ? e.code.toLowerCase().replace(/^err_sandbox_/, 'load-').replace(/_/g, '-') : 'load-error',
    severity: 'error',
    message: error instanceof Error ? error.message : String(error),
    file: e?.url ?? file,
    line,
    column,
    endLine: line,
    endColumn: column + 1,
    frame: e?.frame ?? where.frame ?? '',
  };
}
