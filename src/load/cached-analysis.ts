/**
 * Analysis and policy findings of one file for the load step, from the memory cache, else the
 * disk cache (disk-cache.ts), else made here, and then queued for the disk: the write waits for
 * the link phase, which makes V8's code cache at the first compile so the entry carries it.
 *
 * Both caches answer for a content hash, a URL, the metered flag, a format and a fingerprint that
 * holds every other input to the verdict (the policy, the allow-list, and the package's grants:
 * analyze/environment.ts). The hash is of the file as read: a TypeScript file found in either cache
 * is not stripped of its types at all, which is why its disk entry is also keyed by the stripper
 * (the memory cache lives in one process, which has one).
 */
import { adoptAnalysis, cachedAnalysis, contentHash, policyFindings, type Analysis, type ModuleFormat } from '../analyze/analyze.js';
import { loadParser } from '../analyze/parse.js';
import type { ResolvedPolicy } from '../analyze/policy/engine.js';
import type { Diagnostic, PolicyEnvironment } from '../analyze/policy/types.js';
import { noteDetected } from './commonjs.js';
import type { DiskCache } from './disk-cache.js';

type Analysed = Analysis & Parameters<typeof policyFindings>[0];

export interface AnalysisRequest {
  policy: ResolvedPolicy;
  /** What the policy is told for a file of this format (analyze/environment.ts). */
  env: (format: ModuleFormat) => PolicyEnvironment;
  fingerprint: string;
  metered: boolean;
  disk: DiskCache | undefined;
  /** The format of this content when known before parsing (commonjs.ts, knownFormat); undefined: `analyze` detects it. */
  formatOf: (hash: string) => ModuleFormat | undefined;
  /**
   * For TypeScript, what strips its types (transform/typescript.ts, stripperIdentity): a disk entry
   * holds one stripper's output and answers for that one only. Asked again at a store, after
   * `code()`, which may have replaced a stripper that failed to load.
   */
  stripper?: () => string;
  /** The text analysed and checked: the source, stripped of types for TypeScript. Asked only on a miss. */
  code: () => string;
  /** The analysis made here (load/commonjs.ts: a module or a CommonJS file), of `code()`, under `hash`. */
  analyze: (code: string, hash: string) => Analysed;
}

/** What is known of `source`, or learnt now. Asynchronous only to load the parser at the first miss (analyze/parse.ts). */
export async function analyzeWithFindings(
  source: string,
  url: string,
  request: AnalysisRequest,
): Promise<{ analysis: Analysis; findings: Diagnostic[] }> {
  const { policy, env, fingerprint, metered, disk, analyze } = request;
  const hash = contentHash(source);
  const format = request.formatOf(hash);
  let code: string | undefined;
  const text = () => (code ??= request.code());
  const findingsOf = (analysis: Analysed) =>
    analysis.diagnostics.get(fingerprint) ?? policyFindings(analysis, text(), url, policy, env(analysis.format), fingerprint);
  const known = format === undefined ? undefined : cachedAnalysis(hash, url, metered, format);
  if (disk === undefined || known?.diagnostics.has(fingerprint) === true) {
    if (known?.diagnostics.has(fingerprint) !== true) await loadParser();
    const analysis = known ?? analyze(text(), hash);
    return { analysis, findings: findingsOf(analysis) };
  }
  const pack = disk.packOf(url, metered, fingerprint);
  const entryKey = () => (request.stripper === undefined ? hash : `${hash}:${request.stripper()}`);
  const key = entryKey();
  const stored = known === undefined ? disk.lookup(pack, url, key, format) : undefined;
  if (stored !== undefined) {
    // The entry's format was detected from this same content by the process that wrote it.
    if (format === undefined) noteDetected(hash, url, stored.format ?? 'module');
    const analysis = adoptAnalysis(hash, url, metered, stored, fingerprint, stored.findings);
    analysis.restored = () => disk.store(pack, url, key, { ...analysis, findings: stored.findings });
    return { analysis, findings: stored.findings };
  }
  await loadParser();
  const analysis = known ?? analyze(text(), hash);
  const findings = findingsOf(analysis);
  (analysis.persist ??= []).push(() => disk.store(pack, url, entryKey(), { ...analysis, findings }));
  return { analysis, findings };
}
