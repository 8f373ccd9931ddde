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
}

/** `new vm.SourceTextModule(source, options)`, from `entry`'s cache when it has one; no entry, no cache. */
export function compileCached(
  source: string,
  options: Omit<vm.SourceTextModuleOptions, 'cachedData'>,
  entry: CodeCacheEntry | undefined,
): vm.SourceTextModule {
  const cachedData = entry?.codeCache;
  const module = new vm.SourceTextModule(source, { ...options, cachedData });
  // Made before linking or evaluation, as Node requires: it holds what V8 compiled eagerly.
  if (entry !== undefined && cachedData === undefined && ++entry.compiles >= 2) {
    // Node has it since 13.7; @types/node 20 does not declare it on SourceTextModule.
    entry.codeCache = (module as vm.SourceTextModule & { createCachedData(): Buffer }).createCachedData();
  }
  return module;
}
