/**
 * Allow-listed modules: what a sandbox may import besides its own files. A plain object
 * becomes a `vm.SyntheticModule` whose named exports are the object's own enumerable
 * properties; each value crosses the membrane when the module is evaluated (data copied,
 * functions bridged). A `SourceModule` (the `std:` modules) is trusted source compiled in the
 * sandbox's realm: its functions are the sandbox's own, so calls cost nothing and carry nothing.
 */
import vm from 'node:vm';
import { mayUseBigInt } from '../analyze/bigint-use.js';
import { mayImportDynamically } from '../load/module-checks.js';
import type { Membrane } from '../membrane/membrane.js';
import { isPathLike } from '../resolve/paths.js';
import type { Realm } from '../run/realm.js';
import { compileCached, type CodeCacheEntry } from './code-cache.js';

/**
 * Trusted module source, compiled inside each sandbox that allow-lists it. It may not import
 * anything, and esm-sandbox's policy does not check it: only the host can create one.
 */
export class SourceModule {
  constructor(readonly source: string) {
    if (typeof source !== 'string') throw new TypeError('SourceModule: source must be a string');
  }
}

/** An allow-list entry: the module's named exports (`default` included, if present), or trusted source. */
export type ModuleDefinition = Readonly<Record<string, unknown>> | SourceModule;

/**
 * Code caches of trusted sources, by text: a worker rebuilds the `SourceModule` objects of every
 * sandbox's options (worker/protocol.ts), so the object cannot be the key. Bounded, in case a
 * host makes sources on the fly.
 */
const trustedCaches = new Map<string, CodeCacheEntry>();
const MAX_TRUSTED_CACHES = 64;

/** The code cache kept for a trusted source's text. */
export function trustedCodeCache(source: string): CodeCacheEntry {
  let entry = trustedCaches.get(source);
  if (entry === undefined) {
    if (trustedCaches.size >= MAX_TRUSTED_CACHES) trustedCaches.delete(trustedCaches.keys().next().value!);
    entry = { compiles: 0, codeCache: undefined };
    trustedCaches.set(source, entry);
  }
  return entry;
}

export function createAllowedModule(specifier: string, definition: ModuleDefinition, realm: Realm, membrane: Membrane): vm.Module {
  if (definition instanceof SourceModule) {
    const { source } = definition;
    if (mayUseBigInt(source)) realm.enableBigInt();
    // Not registered with the realm's stack formatter: its frames never show in user stacks. No
    // code cache for one that may call import() (see compile.ts).
    return compileCached(
      source,
      { context: realm.context, identifier: specifier },
      mayImportDynamically(source) ? undefined : trustedCodeCache(source),
    );
  }
  const names = Object.keys(definition);
  return new vm.SyntheticModule(
    names,
    function (this: vm.SyntheticModule) {
      for (const name of names) this.setExport(name, membrane.toSandbox(definition[name], `${specifier}.${name}`));
    },
    { context: realm.context, identifier: specifier },
  );
}

/** Validates a `modules` option into a map; throws a TypeError naming the bad entry. */
export function allowList(modules: Readonly<Record<string, ModuleDefinition>> | undefined): Map<string, ModuleDefinition> {
  const out = new Map<string, ModuleDefinition>();
  for (const [specifier, definition] of Object.entries(modules ?? {})) {
    if (isPathLike(specifier)) {
      throw new TypeError(`modules: "${specifier}" looks like a path; allow-list entries are bare specifiers such as "app:api"`);
    }
    if (definition === null || typeof definition !== 'object') {
      throw new TypeError(`modules["${specifier}"] must be an object of named exports`);
    }
    out.set(specifier, definition);
  }
  return out;
}
