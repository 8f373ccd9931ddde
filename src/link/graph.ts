/**
 * The sandbox's module graph: every file is loaded once, analysed, compiled into a
 * `vm.SourceTextModule` of the sandbox's context, and linked only to what the resolver allowed.
 *
 * Loading runs in phases, as SES splits load / link / instance: walk the graph (read, analyse,
 * resolve, in parallel) collecting every finding; stop with all policy errors at once; only then
 * compile and link. A failed load leaves the graph as it was.
 */
import vm from 'node:vm';
import { analyzeModule, policyFindings, type ImportSite } from '../analyze/analyze.js';
import type { ResolvedPolicy } from '../analyze/policy/engine.js';
import type { Diagnostic, PolicyEnvironment } from '../analyze/policy/types.js';
import { ReflectGetOwnPropertyDescriptor } from '../commons.js';
import { EsmSandboxError, LinkError, LoadError, PolicyError, ResolveError } from '../errors/errors.js';
import { codeFrame } from '../errors/frame.js';
import { readModuleText, type LoadLimits } from '../load/source.js';
import type { Membrane } from '../membrane/membrane.js';
import { resolveSpecifier, type Resolution, type ResolverOptions } from '../resolve/resolver.js';
import type { Realm } from '../run/realm.js';
import { createAllowedModule, type ModuleDefinition } from './allowed.js';

export interface GraphOptions {
  realm: Realm;
  membrane: Membrane;
  resolver: ResolverOptions;
  modules: ReadonlyMap<string, ModuleDefinition>;
  policy: ResolvedPolicy;
  policyFingerprint: string;
  limits: LoadLimits;
  /** Findings below `error` severity. */
  onWarning(diagnostic: Diagnostic): void;
  /** `import()` from sandbox code: load, link and evaluate, or throw. */
  dynamicImport(specifier: string, referrer: string, attributes: Record<string, string>): Promise<vm.Module>;
}

interface Pending {
  resolution: Resolution;
  source?: string;
  json?: unknown;
  code?: string;
  edits?: string;
  imports: ImportSite[];
  /** Specifier → graph key, for static imports. */
  targets: Map<string, string>;
}

interface ModuleRecord {
  key: string;
  module: vm.Module;
  targets: Map<string, string>;
  imports: ImportSite[];
}

const hasLinkRequests = typeof (vm.SourceTextModule?.prototype as { linkRequests?: unknown } | undefined)?.linkRequests === 'function';

export class ModuleGraph {
  private readonly records = new Map<string, ModuleRecord>();
  private readonly byModule = new WeakMap<vm.Module, ModuleRecord>();
  private readonly sources = new Map<string, string>();
  private readonly env: PolicyEnvironment;

  constructor(private readonly options: GraphOptions) {
    this.env = { isAllowedSpecifier: (s) => options.modules.has(s), importMetaProperties: ['url'] };
  }

  /** The original source of a loaded module, for code frames. */
  sourceOf(url: string): string | undefined { return this.sources.get(url); }

  /** The module behind a resolved specifier, loaded and linked (not yet evaluated). */
  async prepare(entry: Resolution, virtualSource?: string): Promise<vm.Module> {
    const known = this.records.get(entry.key);
    if (known !== undefined && virtualSource === undefined) return known.module;
    const pending = new Map<string, Pending>();
    const diagnostics: Diagnostic[] = [];
    const failures: unknown[] = [];
    await this.visit(entry, undefined, pending, diagnostics, failures, virtualSource);
    if (diagnostics.some((d) => d.severity === 'error')) throw new PolicyError(diagnostics);
    for (const d of diagnostics) this.options.onWarning(d);
    if (failures.length > 0) throw failures[0];
    const created: ModuleRecord[] = [];
    try {
      for (const node of pending.values()) created.push(this.compile(node));
      await this.link(created, this.records.get(entry.key)!);
    } catch (error) {
      for (const record of created) this.records.delete(record.key);
      throw error;
    }
    return this.records.get(entry.key)!.module;
  }

  private async visit(resolution: Resolution, via: { site: ImportSite; referrer: string } | undefined, pending: Map<string, Pending>,
    diagnostics: Diagnostic[], failures: unknown[], virtualSource?: string): Promise<void> {
    if (resolution.kind === 'file' && via !== undefined) checkAttributes(resolution, via, this.sources.get(via.referrer));
    if ((this.records.has(resolution.key) && virtualSource === undefined) || pending.has(resolution.key)) return;
    const node: Pending = { resolution, imports: [], targets: new Map() };
    pending.set(resolution.key, node);
    if (resolution.kind === 'allowed') return;
    const { url } = resolution;
    const source = virtualSource ?? await readModuleText(resolution.path, url, this.options.limits);
    this.sources.set(url, source);
    node.source = source;
    if (url.endsWith('.json')) {
      try {
        node.json = JSON.parse(source);
      } catch (error) {
        throw new LoadError(`${url} is not valid JSON: ${(error as Error).message}`, { url });
      }
      return;
    }
    const analysis = analyzeModule(source, url);
    node.code = analysis.code;
    node.edits = analysis.edits;
    node.imports = analysis.imports;
    for (const d of policyFindings(analysis, source, url, this.options.policy, this.env, this.options.policyFingerprint)) diagnostics.push(d);
    await Promise.all(analysis.imports.filter((site) => !site.dynamic).map(async (site) => {
      try {
        const where = { url, line: site.line, column: site.column, frame: codeFrame(source, site.line, site.column - 1) };
        const target = await resolveSpecifier(site.specifier, url, this.options.resolver, where);
        node.targets.set(site.specifier, target.key);
        await this.visit(target, { site, referrer: url }, pending, diagnostics, failures);
      } catch (error) {
        failures.push(error);
      }
    }));
  }

  private compile(node: Pending): ModuleRecord {
    const { realm, membrane } = this.options;
    const { resolution } = node;
    let module: vm.Module;
    if (resolution.kind === 'allowed') {
      module = createAllowedModule(resolution.specifier, this.options.modules.get(resolution.specifier)!, realm, membrane);
    } else if (node.code === undefined) {
      const value = node.json;
      module = new vm.SyntheticModule(['default'], function (this: vm.SyntheticModule) {
        this.setExport('default', membrane.toSandbox(value));
      }, { context: realm.context, identifier: resolution.url });
    } else {
      const { url } = resolution;
      realm.kit.registerModule(url, node.edits ?? '');
      try {
        module = new vm.SourceTextModule(node.code, {
          context: realm.context,
          identifier: url,
          initializeImportMeta(meta) {
            Object.defineProperty(meta, 'url', { value: url, writable: true, enumerable: true, configurable: true });
          },
          importModuleDynamically: ((specifier: string, _referrer: unknown, attributes: Record<string, string>) =>
            this.options.dynamicImport(specifier, url, attributes ?? {})) as never,
        });
      } catch (error) {
        throw new EsmSandboxError('ERR_SANDBOX_SYNTAX', `${messageOf(error)} in ${url}`, { url });
      }
    }
    const record: ModuleRecord = { key: resolution.key, module, targets: node.targets, imports: node.imports };
    this.records.set(record.key, record);
    this.byModule.set(module, record);
    return record;
  }

  private async link(created: ModuleRecord[], entry: ModuleRecord): Promise<void> {
    const target = (record: ModuleRecord | undefined, specifier: string): vm.Module => {
      const key = record?.targets.get(specifier);
      const found = key === undefined ? undefined : this.records.get(key);
      if (found === undefined) throw new ResolveError(specifier, record?.key, 'it was not loaded');
      return found.module;
    };
    try {
      if (hasLinkRequests) {
        for (const record of created) {
          const module = record.module as vm.SourceTextModule & { moduleRequests?: Array<{ specifier: string }>; linkRequests?(m: vm.Module[]): void };
          if (module.linkRequests === undefined || module.status !== 'unlinked') continue;
          module.linkRequests((module.moduleRequests ?? []).map((request) => target(record, request.specifier)));
        }
        const root = entry.module as vm.Module & { instantiate?(): void };
        if (root.status === 'unlinked' || root.status === 'linking') root.instantiate?.();
      } else if (entry.module.status === 'unlinked') {
        await entry.module.link((specifier, referencing) => target(this.byModule.get(referencing), specifier));
      }
    } catch (error) {
      if (error instanceof EsmSandboxError) throw error;
      throw this.linkError(messageOf(error), created);
    }
  }

  /** V8's link errors name the specifier, not the place: find the import that asked for it. */
  private linkError(message: string, created: ModuleRecord[]): LinkError {
    const specifier = /module '([^']+)'/.exec(message)?.[1];
    for (const record of created) {
      const site = record.imports.find((s) => s.specifier === specifier);
      if (site === undefined) continue;
      const source = this.sources.get(record.key);
      return new LinkError(message, { url: record.key, line: site.line, column: site.column, frame: source ? codeFrame(source, site.line, site.column - 1) : undefined });
    }
    return new LinkError(message);
  }
}

/** JSON files only with `with { type: 'json' }`, and that attribute only on JSON files. */
function checkAttributes(resolution: Extract<Resolution, { kind: 'file' }>, via: { site: ImportSite; referrer: string }, source: string | undefined): void {
  const { site, referrer } = via;
  const isJson = resolution.url.endsWith('.json');
  const type = site.attributes.type;
  const where = { url: referrer, line: site.line, column: site.column, frame: source ? codeFrame(source, site.line, site.column - 1) : undefined };
  for (const key of Object.keys(site.attributes)) {
    if (key !== 'type') throw new LoadError(`Unsupported import attribute "${key}" on "${site.specifier}"`, where);
  }
  if (isJson && type !== 'json') throw new LoadError(`"${site.specifier}" is a JSON module: import it with { type: 'json' }`, where);
  if (!isJson && type !== undefined) throw new LoadError(`"${site.specifier}" is not a JSON module, but is imported with { type: '${type}' }`, where);
}

function messageOf(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const desc = ReflectGetOwnPropertyDescriptor(error, 'message');
    if (desc !== undefined && typeof desc.value === 'string') return desc.value;
  }
  return String(error);
}
