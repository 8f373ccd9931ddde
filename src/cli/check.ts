/**
 * `esm-sandbox check`: policy findings for a module graph, without running it.
 */
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { checkGraph } from '../load/check-graph.js';
import { formatDiagnostic, resolvePolicy } from '../analyze/policy/engine.js';
import { isInside } from '../resolve/paths.js';
import type { Severity } from '../analyze/policy/types.js';
import { Packages } from '../resolve/packages.js';
import type { ResolverOptions } from '../resolve/resolver.js';
import { packageFlags, UsageError } from './flags.js';
import { toJson } from './output.js';

interface CheckFlags {
  json?: boolean;
  preset?: string;
  rule?: string[];
  root?: string;
  allow?: string[];
  package?: string[];
  condition?: string[];
}
interface Io {
  out(text: string): void;
  err(text: string): void;
  color: boolean;
}

export async function check(file: string, flags: CheckFlags, io: Io): Promise<number> {
  const rules: Record<string, Severity> = {};
  for (const entry of flags.rule ?? []) {
    const eq = entry.indexOf('=');
    const id = entry.slice(0, eq);
    const severity = entry.slice(eq + 1);
    if (eq <= 0 || !severity) throw new UsageError(`--rule ${entry}: expected <rule-id>=<off|warn|error>`);
    rules[id] = severity as Severity;
  }
  if (flags.preset !== undefined && flags.preset !== 'recommended' && flags.preset !== 'strict') {
    throw new UsageError(`--preset must be recommended or strict, got "${flags.preset}"`);
  }
  let policy;
  try {
    policy = resolvePolicy({ preset: flags.preset as 'recommended' | 'strict' | undefined, rules });
  } catch (error) {
    // It names an unknown rule id or severity of a --rule flag.
    if (error instanceof TypeError) throw new UsageError(error.message);
    throw error;
  }
  const absolute = path.resolve(file);
  const entry = existing(absolute, 'file', file);
  const root = existing(path.resolve(flags.root ?? path.dirname(absolute)), 'directory', `--root ${flags.root}`);
  if (!isInside(root, entry)) throw new UsageError(`${file} is not inside --root ${root}`);
  // For check, --allow names specifiers only (no host module is loaded): spec or spec=anything.
  const allowed = new Set((flags.allow ?? []).map((spec) => spec.split('=')[0]!));
  const resolver: ResolverOptions = { root, isAllowed: (s) => allowed.has(s) };
  const { packages, conditions } = packageFlags(flags);
  if (packages.length > 0)
    resolver.packages = new Packages(root, { listed: new Set(packages), conditions: conditions ?? ['import', 'default'] });
  const diagnostics = await checkGraph(entry, { resolver, policy });
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (flags.json) {
    io.out(toJson(diagnostics));
  } else if (diagnostics.length > 0) {
    io.out(diagnostics.map((d) => formatDiagnostic(d, { color: io.color })).join('\n\n'));
    const warnings = diagnostics.length - errors;
    io.out(
      `\n${diagnostics.length} problem${diagnostics.length === 1 ? '' : 's'} (${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'})`,
    );
  }
  return errors > 0 ? 1 : 0;
}

/** The real path of a file or directory the user named; a missing one is bad usage (exit 2), not a finding. */
function existing(absolute: string, kind: 'file' | 'directory', named: string): string {
  let stats;
  try {
    stats = statSync(absolute);
  } catch {
    throw new UsageError(`${named}: no such ${kind} (${absolute})`);
  }
  if (stats.isDirectory() !== (kind === 'directory')) throw new UsageError(`${named}: not a ${kind} (${absolute})`);
  return realpathSync(absolute);
}
