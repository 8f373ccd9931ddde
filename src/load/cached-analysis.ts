/**
 * Analysis and policy findings of one file for the load step, from the memory cache, else the
 * disk cache (disk-cache.ts), else made here, and then queued for the disk: the write waits for
 * the link phase, which makes V8's code cache at the first compile so the entry carries it.
 */
import { adoptAnalysis, cachedAnalysis, contentHash, policyFindings, type Analysis, type ModuleFormat } from '../analyze/analyze.js';
import type { ResolvedPolicy } from '../analyze/policy/engine.js';
import type { Diagnostic, PolicyEnvironment } from '../analyze/policy/types.js';
import type { DiskCache } from './disk-cache.js';

export interface AnalysisRequest {
  policy: ResolvedPolicy;
  /** What the policy is told for a file of this format (analyze/environment.ts). */
  env: (format: ModuleFormat) => PolicyEnvironment;
  fingerprint: string;
  metered: boolean;
  disk: DiskCache | undefined;
  /** The analysis made here (load/commonjs.ts: a module or a CommonJS file); only ES modules go to disk. */
  analyze: () => Analysis & Parameters<typeof policyFindings>[0];
}

export function analyzeWithFindings(code: string, url: string, request: AnalysisRequest): { analysis: Analysis; findings: Diagnostic[] } {
  const { policy, env, fingerprint, metered, disk, analyze } = request;
  const hash = contentHash(code);
  const known = cachedAnalysis(hash, url, metered);
  if (disk === undefined || known?.diagnostics.has(fingerprint) === true) {
    const analysis = known ?? analyze();
    return { analysis, findings: policyFindings(analysis, code, url, policy, env(analysis.format), fingerprint) };
  }
  const pack = disk.packOf(url, metered, fingerprint);
  const stored = known === undefined ? disk.lookup(pack, url, hash) : undefined;
  if (stored !== undefined) {
    const analysis = adoptAnalysis(hash, url, metered, stored, fingerprint, stored.findings);
    analysis.restored = () => disk.store(pack, url, hash, { ...analysis, findings: stored.findings });
    return { analysis, findings: stored.findings };
  }
  const analysis = known ?? analyze();
  const findings = policyFindings(analysis, code, url, policy, env(analysis.format), fingerprint);
  // A CommonJS file's analysis has more to it (requires, exports) and compiles another way: memory only.
  if (analysis.format === 'module') (analysis.persist ??= []).push(() => disk.store(pack, url, hash, { ...analysis, findings }));
  return { analysis, findings };
}
