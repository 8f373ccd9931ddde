/**
 * V8's code cache for module text compiled again and again (a new sandbox over unchanged files, a
 * trusted source in every sandbox that allow-lists it): made at the text's second compile, so a
 * one-off load never pays for serialising it, and used from the third on (~3.4 ms → ~0.9 ms for a
 * 50-module graph).
 */
import vm from 'node:vm';

/** Where a text's cache is kept: the analysis of a file (analyze.ts), or a trusted source's record (allowed.ts). */
export interface CodeCacheEntry {
  /** How many times the text was compiled without a cache. */
  compiles: number;
  codeCache: Buffer | undefined;
  /** Disk cache writes waiting for this text's code cache (load/cached-analysis.ts): it is then made at the first compile. */
  persist?: Array<() => void> | undefined;
  /** Rewrites the disk entry the cache came from, if V8 rejects it. */
  restored?: (() => void) | undefined;
}

/** `new vm.SourceTextModule(source, options)`, from `entry`'s cache when it has one; no entry, no cache. */
export function compileCached(
  source: string,
  options: Omit<vm.SourceTextModuleOptions, 'cachedData'>,
  entry: CodeCacheEntry | undefined,
): vm.SourceTextModule {
  let cachedData = entry?.codeCache;
  let module: vm.SourceTextModule;
  try {
    module = new vm.SourceTextModule(source, { ...options, cachedData });
  } catch (error) {
    if (entry === undefined || cachedData === undefined || (error as { code?: unknown }).code !== 'ERR_VM_MODULE_CACHED_DATA_REJECTED')
      throw error;
    // A code cache from disk made by a V8 with other flags: compile from source, and store a new one.
    entry.codeCache = cachedData = undefined;
    if (entry.restored !== undefined) (entry.persist ??= []).push(entry.restored);
    module = new vm.SourceTextModule(source, options);
  }
  // Made before linking or evaluation, as Node requires: it holds what V8 compiled eagerly.
  if (entry !== undefined && cachedData === undefined && (entry.persist !== undefined || ++entry.compiles >= 2)) {
    // Node has it since 13.7; @types/node 20 does not declare it on SourceTextModule.
    entry.codeCache = (module as vm.SourceTextModule & { createCachedData(): Buffer }).createCachedData();
  }
  return module;
}

/** Run the disk cache writes (load/cached-analysis.ts) that waited for this compile's code cache. */
export function persistAfterCompile(entry: CodeCacheEntry | undefined): void {
  const pending = entry?.persist;
  if (pending === undefined) return;
  entry!.persist = undefined;
  for (const write of pending) write();
}
