/**
 * Bare specifiers → files of npm packages, found as Node finds them (`node_modules` from the
 * importing file's directory upward) and resolved through `package.json` `exports`/`imports` by
 * `resolve.exports` (Node's algorithm; hand-written pattern matching is where resolvers go wrong).
 *
 * Who may import what: sandbox code only the packages named in `packages`; a package also what its
 * `package.json` declares (`dependencies`, `peerDependencies`, `optionalDependencies`) and itself
 * by name. Each package is confined to its own real directory: the file an `exports` target or a
 * relative import names, after symlinks, must stay inside it, and the directory itself must be a
 * package directory of a `node_modules` tree (`…/node_modules/name`, `…/node_modules/@scope/name`),
 * which pnpm's links satisfy and a link out to a workspace or to `/etc` does not.
 *
 * Throws `PackageRefusal`s; the resolver turns them into located errors.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { exports as resolveExports, imports as resolveImports } from 'resolve.exports';
import { isInside } from './paths.js';

/** The `packages` options a resolver needs (NormalizedOptions.packages). */
export interface PackageOptions {
  /** Names sandbox code may import (SandboxOptions.packages). */
  readonly listed: ReadonlySet<string>;
  /** `exports`/`imports` conditions, in no particular order (the package's key order decides). */
  readonly conditions: readonly string[];
}

/**
 * `not-allowed`: a permission refusal (ModuleNotAllowedError); `resolve`: the package or its file
 * cannot be used (ResolveError). Internal: the resolver always turns it into one of those.
 */
export class PackageRefusal extends Error {
  constructor(
    readonly kind: 'not-allowed' | 'resolve',
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** Where a bare specifier led: a file to confine to `dir`, the real directory of package `name`. */
export interface PackageFile {
  name: string;
  dir: string;
  file: string;
}

/**
 * Who is resolving: an ES module (`import`, the `conditions` option) or CommonJS (`require`: the
 * `require` condition instead of `import`, `main` without `module`, and Node's extension probing).
 */
export type ResolveKind = 'import' | 'require';

interface Manifest {
  name?: unknown;
  type?: unknown;
  main?: unknown;
  module?: unknown;
  exports?: unknown;
  imports?: unknown;
  dependencies?: unknown;
  peerDependencies?: unknown;
  optionalDependencies?: unknown;
}

const NAME = /^(?:@[a-z0-9][\w.~-]*\/)?[a-z0-9][\w.~-]*$/i;

/** `@scope/name/sub/path` → its package name and `exports` subpath (`.` or `./sub/path`), or undefined. */
export function parseBare(specifier: string): { name: string; subpath: string } | undefined {
  const parts = specifier.split('/');
  const count = specifier.startsWith('@') ? 2 : 1;
  const name = parts.slice(0, count).join('/');
  if (parts.length < count || !NAME.test(name)) return undefined;
  const rest = parts.slice(count);
  // Segments that walk or escape are never package subpaths; `exports` could not name them anyway.
  if (rest.some((s) => s === '' || s === '.' || s === '..' || s.includes('\\') || s.includes('%'))) return undefined;
  return { name, subpath: rest.length === 0 ? '.' : `./${rest.join('/')}` };
}

/**
 * The package directory `file` belongs to (the part of its path up to its innermost
 * `node_modules/name`), or undefined for sandbox code: a file under `root` with no `node_modules`
 * segment below the root. Decided from the path alone, so it does not depend on load order.
 */
export function packageScope(file: string, root: string): string | undefined {
  const inside = isInside(root, file);
  const parts = (inside ? path.relative(root, file) : file).split(path.sep);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return undefined;
  const end = at + 1 + (parts[at + 1]?.startsWith('@') ? 2 : 1);
  if (end > parts.length) return undefined;
  const prefix = parts.slice(0, end).join(path.sep);
  return inside ? path.join(root, prefix) : prefix;
}

/** The name a package directory is installed under (`…/node_modules/@scope/name` → `@scope/name`). */
const installedName = (dir: string): string => {
  const parts = dir.split(path.sep);
  const last = parts.at(-1) ?? '';
  const scope = parts.at(-2) ?? '';
  return scope.startsWith('@') ? `${scope}/${last}` : last;
};

export class Packages {
  private readonly manifests = new Map<string, Manifest>();
  /** A package directory → grantsOf's answer. */
  private readonly grants = new Map<string, string>();
  /** A directory of a package → the `type` its files get (see typeOf). */
  private readonly types = new Map<string, 'module' | 'commonjs' | undefined>();
  /** Node's conditions for `require`: `require` and `default`, plus the user's extra ones (not `import`). */
  private readonly requireConditions: readonly string[];

  constructor(
    readonly root: string,
    readonly options: PackageOptions,
  ) {
    const extra = options.conditions.filter((c) => c !== 'import' && c !== 'require' && c !== 'default');
    this.requireConditions = ['require', 'default', ...extra];
  }

  /**
   * The `type` of the package.json nearest to `file` inside package `scope` (Node's rule for `.js`
   * files): `module`, `commonjs`, or undefined when none says (Node then detects it from the syntax).
   */
  typeOf(file: string, scope: string): 'module' | 'commonjs' | undefined {
    const dir = path.dirname(file);
    if (this.types.has(dir)) return this.types.get(dir);
    let type: 'module' | 'commonjs' | undefined;
    if (dir !== scope && isInside(scope, dir) && !statSync(path.join(dir, 'package.json'), { throwIfNoEntry: false })?.isFile()) {
      type = this.typeOf(dir, scope);
    } else {
      const declared = this.manifest(isInside(scope, dir) ? dir : scope).type;
      type = declared === 'module' || declared === 'commonjs' ? declared : undefined;
    }
    this.types.set(dir, type);
    return type;
  }

  /** The name of the package `dir` is (its `package.json` name, else the name it is installed under). */
  nameOf(dir: string): string {
    const declared = this.manifest(dir).name;
    return typeof declared === 'string' ? declared : installedName(dir);
  }

  /**
   * May code in `scope` (a package directory, or undefined for sandbox code) import `specifier`?
   * The policy's early answer; `resolve` gives the same one, and the reason.
   */
  mayImport(specifier: string, scope: string | undefined): boolean {
    if (specifier.startsWith('#')) return scope !== undefined;
    const parsed = parseBare(specifier);
    return parsed !== undefined && this.permitted(parsed.name, scope) === undefined;
  }

  /**
   * @param from the importing file's directory (sandbox code) or its package directory
   * @param scope the importing file's package directory, undefined for sandbox code
   */
  resolve(specifier: string, from: string, scope: string | undefined, kind: ResolveKind = 'import'): PackageFile {
    if (specifier.startsWith('#')) return this.resolveImport(specifier, scope, kind);
    const parsed = parseBare(specifier);
    if (parsed === undefined) throw new PackageRefusal('resolve', 'it is not a valid package name or subpath');
    const refusal = this.permitted(parsed.name, scope);
    if (refusal !== undefined) throw new PackageRefusal('not-allowed', refusal);
    const self = scope !== undefined && this.nameOf(scope) === parsed.name;
    const dir = self ? scope : this.locate(parsed.name, from);
    return { name: parsed.name, dir, file: this.entry(parsed.name, dir, parsed.subpath, kind) };
  }

  /**
   * Everything of package `scope` that `mayImport` reads besides `listed`: its name and the names it
   * declares. Findings about its files are remembered under it (analyze/environment.ts), so a
   * changed manifest never meets a remembered verdict.
   */
  grantsOf(scope: string): string {
    let grants = this.grants.get(scope);
    if (grants === undefined) {
      const manifest = this.manifest(scope);
      const declared = new Set<string>();
      for (const field of [manifest.dependencies, manifest.peerDependencies, manifest.optionalDependencies]) {
        if (field !== null && typeof field === 'object') for (const name of Object.keys(field)) declared.add(name);
      }
      grants = JSON.stringify([this.nameOf(scope), [...declared].sort()]);
      this.grants.set(scope, grants);
    }
    return grants;
  }

  /** Undefined when allowed, else why not. */
  private permitted(name: string, scope: string | undefined): string | undefined {
    if (this.options.listed.has(name)) return undefined;
    if (scope === undefined) {
      return `"${name}" is not in \`packages\` (nor in the allow-list, \`modules\`); list the package to let sandbox code import it`;
    }
    const manifest = this.manifest(scope);
    if (this.nameOf(scope) === name) return undefined;
    for (const field of [manifest.dependencies, manifest.peerDependencies, manifest.optionalDependencies]) {
      if (field !== null && typeof field === 'object' && Object.hasOwn(field, name)) return undefined;
    }
    return `package "${this.nameOf(scope)}" does not declare "${name}" in its dependencies, and \`packages\` does not list it`;
  }

  /** Node's lookup: `node_modules/name` in `from` and each directory above it (skipping `node_modules` itself). */
  private locate(name: string, from: string): string {
    for (let dir = from; ; dir = path.dirname(dir)) {
      if (path.basename(dir) !== 'node_modules') {
        const candidate = path.join(dir, 'node_modules', name);
        if (statSync(candidate, { throwIfNoEntry: false })?.isDirectory()) return this.confineDir(name, candidate);
      }
      if (path.dirname(dir) === dir) break;
    }
    throw new PackageRefusal('resolve', `package "${name}" is not installed (no node_modules/${name} in ${from} or above it)`);
  }

  private confineDir(name: string, candidate: string): string {
    let real: string;
    try {
      real = realpathSync.native(candidate);
    } catch {
      throw new PackageRefusal('resolve', `package "${name}" cannot be read at ${candidate}`);
    }
    if (packageScope(real, this.root) !== real) {
      throw new PackageRefusal(
        'resolve',
        `package "${name}" is a symbolic link to ${real}, which is not a package directory of a node_modules tree`,
      );
    }
    return real;
  }

  /** The file `subpath` of the package in `dir` names: through `exports` when it has them, else `module`/`main`, or the path itself. */
  private entry(name: string, dir: string, subpath: string, kind: ResolveKind): string {
    const manifest = this.manifest(dir);
    if (manifest.exports === undefined || manifest.exports === null) {
      // `main` and `module` are paths relative to the package (`lib/index.js` as well as `./lib/index.js`).
      const file = this.inside(name, dir, subpath === '.' ? this.legacyMain(manifest, dir, kind) : subpath, false);
      return kind === 'require' ? (probeCommonJS(file) ?? file) : file;
    }
    const conditions = this.conditionsFor(kind);
    let found: string[] | void;
    try {
      found = resolveExports({ ...manifest, name }, subpath, { conditions, unsafe: true });
    } catch {
      found = undefined;
    }
    const first = found?.[0];
    if (first === undefined) {
      throw new PackageRefusal(
        'resolve',
        `package "${name}" does not export "${subpath}" under the conditions ${conditions.join(', ')} (its package.json \`exports\`)`,
      );
    }
    return this.inside(name, dir, first);
  }

  private conditionsFor(kind: ResolveKind): readonly string[] {
    return kind === 'require' ? this.requireConditions : this.options.conditions;
  }

  /**
   * No `exports`: for an import, `module` first (the ES module entry of packages that ship both,
   * as bundlers read it), then `main`, then `index.js`; for a require, as Node does, `main` only.
   */
  private legacyMain(manifest: Manifest, dir: string, kind: ResolveKind): string {
    for (const field of kind === 'require' ? [manifest.main] : [manifest.module, manifest.main]) {
      if (typeof field !== 'string' || field === '') continue;
      for (const candidate of [field, `${field}.js`, `${field}/index.js`]) {
        if (statSync(path.resolve(dir, candidate), { throwIfNoEntry: false })?.isFile()) return candidate;
      }
    }
    return './index.js';
  }

  /** `#name` through the package's `imports`: a file of the package, or a dependency's specifier. */
  private resolveImport(specifier: string, scope: string | undefined, kind: ResolveKind): PackageFile {
    if (scope === undefined)
      throw new PackageRefusal('resolve', '`#` imports are resolved only inside packages, through their package.json `imports`');
    const name = this.nameOf(scope);
    let found: string[] | void;
    try {
      found = resolveImports({ ...this.manifest(scope), name }, specifier, { conditions: this.conditionsFor(kind), unsafe: true });
    } catch {
      found = undefined;
    }
    const target = found?.[0];
    if (target === undefined) {
      throw new PackageRefusal(
        'resolve',
        `package "${name}" does not map "${specifier}" under the conditions ${this.conditionsFor(kind).join(', ')} (its package.json \`imports\`)`,
      );
    }
    if (target.startsWith('#')) throw new PackageRefusal('resolve', `package "${name}" maps "${specifier}" to another \`#\` import`);
    if (target.startsWith('./')) return { name, dir: scope, file: this.inside(name, scope, target) };
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
      throw new PackageRefusal(
        'not-allowed',
        `package "${name}" maps "${specifier}" to "${target}"; only the allow-list (\`modules\`) grants such modules, by their own name`,
      );
    }
    return this.resolve(target, scope, scope, kind);
  }

  /** @param mapped an `exports`/`imports` target, which must start with `./` */
  private inside(name: string, dir: string, target: string, mapped = true): string {
    const file = path.resolve(dir, target);
    if ((mapped && !target.startsWith('./')) || path.isAbsolute(target) || !isInside(dir, file)) {
      throw new PackageRefusal('resolve', `its target "${target}" is outside package "${name}" (${dir})`);
    }
    return file;
  }

  private manifest(dir: string): Manifest {
    let manifest = this.manifests.get(dir);
    if (manifest !== undefined) return manifest;
    let text: string | undefined;
    try {
      text = readFileSync(path.join(dir, 'package.json'), 'utf8');
    } catch {
      text = undefined;
    }
    try {
      const parsed: unknown = text === undefined ? {} : JSON.parse(text);
      manifest = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Manifest) : {};
    } catch {
      throw new PackageRefusal('resolve', `${path.join(dir, 'package.json')} is not valid JSON`);
    }
    this.manifests.set(dir, manifest);
    return manifest;
  }
}

/**
 * Node's file lookup for `require('./x')` and deep requires without `exports`: the path itself,
 * then with `.js`, `.json`, then as a directory (its `index.js`, `index.json`). Undefined when
 * nothing is there; the caller then reports the path as given. Confinement is the caller's.
 */
export function probeCommonJS(file: string): string | undefined {
  for (const candidate of [file, `${file}.js`, `${file}.json`, path.join(file, 'index.js'), path.join(file, 'index.json')]) {
    if (statSync(candidate, { throwIfNoEntry: false })?.isFile()) return candidate;
  }
  return undefined;
}
