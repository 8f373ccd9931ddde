/**
 * Allow-listed modules: what a sandbox may import besides its own files. A plain object
 * becomes a `vm.SyntheticModule` whose named exports are the object's own enumerable
 * properties; each value crosses the membrane when the module is evaluated (data copied,
 * functions bridged).
 */
import vm from 'node:vm';
import type { Membrane } from '../membrane/membrane.js';
import type { Realm } from '../run/realm.js';

/** An allow-list entry: the module's named exports (`default` included, if present). */
export type ModuleDefinition = Readonly<Record<string, unknown>>;

export function createAllowedModule(specifier: string, definition: ModuleDefinition, realm: Realm, membrane: Membrane): vm.Module {
  const names = Object.keys(definition);
  return new vm.SyntheticModule(names, function (this: vm.SyntheticModule) {
    for (const name of names) this.setExport(name, membrane.toSandbox(definition[name], `${specifier}.${name}`));
  }, { context: realm.context, identifier: specifier });
}

/** Validates a `modules` option into a map; throws a TypeError naming the bad entry. */
export function allowList(modules: Readonly<Record<string, ModuleDefinition>> | undefined): Map<string, ModuleDefinition> {
  const out = new Map<string, ModuleDefinition>();
  for (const [specifier, definition] of Object.entries(modules ?? {})) {
    if (specifier.startsWith('./') || specifier.startsWith('../') || specifier.startsWith('/')) {
      throw new TypeError(`modules: "${specifier}" looks like a path; allow-list entries are bare specifiers such as "app:api"`);
    }
    if (definition === null || typeof definition !== 'object') {
      throw new TypeError(`modules["${specifier}"] must be an object of named exports`);
    }
    out.set(specifier, definition);
  }
  return out;
}
