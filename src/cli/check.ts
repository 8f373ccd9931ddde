/**
 * `esm-sandbox check`: policy findings for a module graph, without running it.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { checkGraph } from '../analyze/check-graph.js';
import { formatDiagnostic, resolvePolicy } from '../analyze/policy/engine.js';
import type { Severity } from '../analyze/policy/types.js';
import { toJson } from './output.js';

interface CheckFlags { json?: boolean; preset?: string; rule?: string[]; root?: string; allow?: string[] }
interface Io { out(text: string): void; err(text: string): void; color: boolean }

export async function check(file: string, flags: CheckFlags, io: Io): Promise<number> {
  const rules: Record<string, Severity> = {};
  for (const entry of flags.rule ?? []) {
    const [id, severity] = entry.split('=');
    if (!id || !severity) throw new TypeError(`--rule ${entry}: expected <rule-id>=<off|warn|error>`);
    rules[id] = severity as Severity;
  }
  if (flags.preset !== undefined && flags.preset !== 'recommended' && flags.preset !== 'strict') {
    throw new TypeError(`--preset must be recommended or strict, got "${flags.preset}"`);
  }
  const policy = resolvePolicy({ preset: flags.preset as 'recommended' | 'strict' | undefined, rules });
  const absolute = path.resolve(file);
  const root = realpathSync(path.resolve(flags.root ?? path.dirname(absolute)));
  // For check, --allow names specifiers only (no host module is loaded): spec or spec=anything.
  const allowed = new Set((flags.allow ?? []).map((entry) => entry.split('=')[0]!));
  const diagnostics = await checkGraph(realpathSync(absolute), { resolver: { root, isAllowed: (s) => allowed.has(s) }, policy });
  if (flags.json) io.out(toJson(diagnostics));
  else for (const d of diagnostics) io.out(formatDiagnostic(d, { color: io.color }));
  return diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
}
