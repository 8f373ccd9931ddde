/**
 * Analysis and policy findings of one file for the load step, from the memory cache, else the
 * disk cache (disk-cache.ts), else made here, and then queued for the disk: the write waits for
 * the link phase, which makes V8's code cache at the first compile so the entry carries it.
 */
import { adoptAnalysis, analyzeModule, cachedAnalysis, contentHash, policyFindings, type Analysis } from '../analyze/analyze.js';
import type { ResolvedPolicy } from '../analyze/policy/engine.js';
import type { Diagnostic, PolicyEnvironment } from '../analyze/policy/types.js';
import type { DiskCache } from './disk-cache.js';

export interface AnalysisRequest {
  policy: ResolvedPolicy;
  env: PolicyEnvironment;
  fingerprint: string;
  metered: boolean;
  disk: DiskCache | undefined;
}

export function analyzeWithFindings(code: string, url: string, request: AnalysisRequest): { analysis: Analysis; findings: Diagnostic[] } {
  const { policy, env, fingerprint, metered, disk } = request;
  const hash = contentHash(code);
  const known = cachedAnalysis(hash, url, metered);
  if (disk === undefined || known?.diagnostics.has(fingerprint) === true) {
    const analysis = known ?? analyzeModule(code, url, hash, metered);
    return { analysis, findings: policyFindings(analysis, code, url, policy, env, fingerprint) };
  }
  const pack = disk.packOf(url, metered, fingerprint);
  const stored = known === undefined ? disk.lookup(pack, url, hash) : undefined;
  if (stored !== undefined) {
    const analysis = adoptAnalysis(hash, url, metered, stored, fingerprint, stored.findings);
    analysis.restored = () => disk.store(pack, url, hash, { ...analysis, findings: stored.findings });
    return { analysis, findings: stored.findings };
  }
  const analysis = known ?? analyzeModule(code, url, hash, metered);
  const findings = policyFindings(analysis, code, url, policy, env, fingerprint);
  (analysis.persist ??= []).push(() => disk.store(pack, url, hash, { ...analysis, findings }));
  return { analysis, findings };
}
