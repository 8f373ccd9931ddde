/**
 * Module graphs, in both isolations, from fixtures/graph/: static imports and every re-export
 * form, cycles, top-level await (bridged host promises and sandbox timers), import.meta.url,
 * JSON modules, import() through the sandbox's resolver, the host's namespace view, and module
 * instances (once per sandbox, never shared between sandboxes).
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { DeadlineError, LoadError, PolicyError } from '../../src/index.js';
import type { Diagnostic, SandboxOptions } from '../../src/index.js';
import { describeEach, fixtures, rejection } from '../helpers/sandbox.js';

const root = fixtures('graph');
const rootPath = realpathSync(fileURLToPath(root));
const urlOf = (file: string) => pathToFileURL(`${rootPath}/${file}`).href;

type Fn<R = unknown> = (...args: unknown[]) => Promise<R>;

describeEach('module graph', ({ make }) => {
  const hits: string[] = [];
  const options = (extra: SandboxOptions = {}): SandboxOptions => ({
    root,
    modules: {
      'app:api': { greeting: 'Hello' },
      // A host promise settled later by a host timer: top-level await must wait for it.
      'app:clock': { later: (value: string) => new Promise((resolve) => setTimeout(() => resolve(value), 20)) },
      // Counts evaluations on the host side, where the sandbox cannot fake them.
      'app:probe': {
        hit: (what: string) => {
          hits.push(what);
        },
      },
    },
    ...extra,
  });

  it('links static imports and named, default, renamed, star and namespace re-exports', async () => {
    const ns = await make(options()).import('./reexports.mjs');
    expect(ns).toEqual({
      a: 1,
      aDefault: 'a-default',
      renamedB: 2,
      c: 3,
      nsB: { b: 2, shared: 'from-b' },
      combined: 'a-default+1+fa+from-b',
    });
    // `export *` never re-exports a default, and renamed bindings do not leak their old names.
    expect(Object.keys(ns).sort()).toEqual(['a', 'aDefault', 'c', 'combined', 'nsB', 'renamedB']);
  });

  it('evaluates a two-module cycle in order: a binding read too early is in its TDZ, later reads see the value', async () => {
    const ns = await make(options()).import('./cycle2/left.mjs');
    expect(ns).toEqual({ left: 'left', seenRight: 'right', readBack: 'left', leftAtEvaluation: 'ReferenceError' });
  });

  it('evaluates a three-module cycle once each, and functions read the bindings after evaluation', async () => {
    const ns = await make(options()).import('./cycle3/x.mjs');
    expect(ns.order).toEqual(['y', 'x']);
    expect(await (ns.chain as Fn)()).toBe('x>y>z(x)');
    // Entering the same cycle from another member reuses the evaluated instances.
    const sandbox = make(options());
    const z = await sandbox.import('./cycle3/z.mjs');
    expect(await (z.zChain as Fn)()).toBe('x>y>z(x)');
    const x = await sandbox.import('./cycle3/x.mjs');
    expect(x.order).toEqual(['y', 'x']);
  });

  it('waits at top level for a bridged host promise that a host timer resolves later', async () => {
    const started = performance.now();
    const ns = await make(options()).import('./tla-bridged.mjs');
    const elapsed = performance.now() - started;
    expect(ns.value).toBe('resolved by a host timer');
    expect(ns.waited).toBeGreaterThanOrEqual(15);
    expect(elapsed).toBeGreaterThanOrEqual(15);
  });

  it('waits at top level for a sandbox timer', async () => {
    const started = performance.now();
    const ns = await make(options()).import('./tla-timer.mjs');
    expect(ns.after).toBe('timer done');
    expect(ns.waited).toBeGreaterThanOrEqual(15);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
  });

  it('lets an importer see a top-level-await module only once it has settled', async () => {
    const ns = await make(options()).import('./tla-importer.mjs');
    expect(ns.both).toBe('resolved by a host timer / timer done');
  });

  it('evaluates a cycle whose first member waits on a timer at top level', async () => {
    const ns = await make(options()).import('./cycle-tla/x.mjs');
    expect(ns).toEqual({ x: 'x', seenY: 'y', readBack: 'x' });
  });

  it('ends a top-level-await deadlock (import() of a module that imports the waiter) at the deadline; the host goes on', async () => {
    const sandbox = make(options({ deadline: 300 }));
    const started = performance.now();
    const error = await rejection(sandbox.import('./cycle-tla/deadlock.mjs'));
    expect(error).toBeInstanceOf(DeadlineError);
    expect(error.code).toBe('ERR_SANDBOX_DEADLINE');
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(sandbox.disposed).toBe(true);
    // A new sandbox loads the same files' healthy neighbours.
    expect((await make(options()).import('./cycle-tla/x.mjs')).seenY).toBe('y');
  });

  it('gives import.meta.url as the file: URL of each module', async () => {
    const ns = await make(options()).import('./meta.mjs');
    expect(ns.url).toBe(urlOf('meta.mjs'));
    expect(ns.nestedUrl).toBe(urlOf('sub/meta.mjs'));
  });

  it('imports JSON with { type: "json" } as a copy of the data', async () => {
    const ns = await make(options()).import('./json-ok.mjs');
    expect(ns.default).toEqual({ name: 'graph', list: [1, 2, 3], nested: { ok: true } });
    expect(ns.name).toBe('graph');
  });

  it('refuses a JSON import without the attribute, and the attribute on a non-JSON file, naming file:line:col', async () => {
    const sandbox = make(options());
    const missing = await rejection(sandbox.import('./json-no-attribute.mjs'));
    expect(missing).toBeInstanceOf(LoadError);
    expect(missing).toMatchObject({ code: 'ERR_SANDBOX_LOAD', url: urlOf('json-no-attribute.mjs'), line: 2, column: 18 });
    expect(missing.message).toContain(`"./data.json" is a JSON module: import it with { type: 'json' }`);
    expect(missing.frame).toContain("import data from './data.json';");
    const wrong = await rejection(sandbox.import('./json-wrong-file.mjs'));
    expect(wrong).toBeInstanceOf(LoadError);
    expect(wrong).toMatchObject({ code: 'ERR_SANDBOX_LOAD', url: urlOf('json-wrong-file.mjs'), line: 2, column: 19 });
    expect(wrong.message).toContain(`"./lib/a.mjs" is not a JSON module, but is imported with { type: 'json' }`);
    // The same sandbox still loads a correct graph afterwards.
    expect((await sandbox.import('./json-ok.mjs')).name).toBe('graph');
  });

  it('applies the same JSON attribute rules to import()', async () => {
    const ns = await make(options()).import('./dynamic/json.mjs');
    expect(await (ns.withAttribute as Fn)()).toBe('graph');
    const refused = await (ns.withoutAttribute as Fn<Record<string, unknown>>)();
    expect(refused).toMatchObject({ loaded: false, sandboxError: true });
    expect(refused.message).toContain('is a JSON module');
    expect(refused.message).toContain(`${urlOf('dynamic/json.mjs')}:7:`);
  });

  it('import() loads allow-listed specifiers and relative files through the sandbox resolver', async () => {
    const ns = await make(options()).import('./dynamic/allowed.mjs');
    // Top-level `await import('../lib/a.mjs')`: resolved against the importing file.
    expect(ns.relA).toBe(1);
    expect(ns.relDefault).toBe('a-default');
    expect(await (ns.loadGreeting as Fn)()).toBe('Hello');
    expect(await (ns.loadSibling as Fn)()).toBe('dynamic/sibling.mjs');
    // Root confinement holds for import() as for static imports, with an error the module can catch.
    const escape = await (ns.tryEscape as Fn<Record<string, unknown>>)();
    expect(escape).toMatchObject({ sandboxError: true });
    expect(escape.message).toContain('"../../bad/lib.mjs"');
    expect(escape.message).toContain('outside the sandbox root');
  });

  it('import() in evaluate() source resolves against its virtual filename', async () => {
    const ns = await make(options()).evaluate("export const a = (await import('../lib/a.mjs')).a;\nexport const url = import.meta.url;\n", {
      filename: 'sub/virtual.mjs',
    });
    expect(ns).toEqual({ a: 1, url: urlOf('sub/virtual.mjs') });
  });

  it("evaluate() names its module by the root's file: URL plus the filename, encoded as Node encodes a path", async () => {
    // A root whose path needs encoding (space, %, #), and names that do and do not.
    const odd = realpathSync(mkdtempSync(path.join(tmpdir(), 'esm-sandbox-url a%b#c-')));
    try {
      const sandbox = make({ root: odd });
      const urlIn = async (filename?: string) =>
        (await sandbox.evaluate('export const url = import.meta.url;', filename === undefined ? {} : { filename })).url;
      expect(await urlIn()).toBe(pathToFileURL(path.join(odd, 'evaluate-1.mjs')).href);
      for (const name of ['plain.mjs', '...', 'a b.mjs', 'x%y.mjs', 'q#r.mjs', 'sub/inner.mjs', 'é.mjs']) {
        expect(await urlIn(name)).toBe(pathToFileURL(path.join(odd, name)).href);
      }
    } finally {
      rmSync(odd, { recursive: true, force: true });
    }
  });

  it('import() keeps working when the same module is compiled again and again (code cache)', async () => {
    // Fresh sandboxes over the same file, then the same evaluate() source in one sandbox: from the
    // third compile on, the graph may compile from a V8 code cache.
    for (let round = 0; round < 4; round++) {
      const ns = await make(options()).import('./dynamic/allowed.mjs');
      expect(ns.relA).toBe(1);
      expect(await (ns.loadSibling as Fn)()).toBe('dynamic/sibling.mjs');
    }
    const sandbox = make(options());
    for (let round = 0; round < 4; round++) {
      const ns = await sandbox.evaluate("export const a = (await import( /* any */ '../lib/a.mjs')).a;\n", { filename: 'sub/again.mjs' });
      expect(ns.a).toBe(1);
    }
  });

  it('refuses a computed import() statically when the policy makes no-computed-import an error', async () => {
    const sandbox = make(options({ policy: { rules: { 'no-computed-import': 'error' } } }));
    const error = await rejection(sandbox.import('./dynamic/computed.mjs'));
    expect(error).toBeInstanceOf(PolicyError);
    expect(error.code).toBe('ERR_SANDBOX_POLICY');
    const diagnostics = error.diagnostics as Diagnostic[];
    expect(diagnostics.map((d) => [d.ruleId, d.severity, d.line])).toEqual([['no-computed-import', 'error', 2]]);
    expect(error.message).toContain('computed specifier');
    expect(error).toMatchObject({ url: urlOf('dynamic/computed.mjs'), line: 2 });
    // Nothing ran, and the sandbox still works.
    expect((await sandbox.import('./lib/b.mjs')).b).toBe(2);
  });

  it('with the default policy, refuses a computed import() before running it', async () => {
    const warnings: Diagnostic[] = [];
    let refused: unknown;
    const sandbox = make(options({ onWarning: (d) => warnings.push(d) }));
    try {
      await sandbox.import('./dynamic/computed.mjs');
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(PolicyError);
    expect((refused as PolicyError).diagnostics.map((d) => [d.ruleId, d.severity, d.line, d.column])).toEqual([
      ['no-computed-import', 'error', 2, 33],
    ]);
    expect(warnings).toEqual([]);
  });

  it('with policy: false, a computed import() of a disallowed specifier rejects inside the sandbox with a sandbox-realm error', async () => {
    const ns = await make(options({ policy: false })).import('./dynamic/computed-caught.mjs');
    const outcome = ns.default as Record<string, unknown>;
    expect(outcome).toMatchObject({ loaded: false, isSandboxError: true, constructorIsSandboxError: true, name: 'ModuleNotAllowedError' });
    expect(outcome.message).toContain('"node:fs"');
    expect(outcome.message).toContain(urlOf('dynamic/computed-caught.mjs'));
    // A computed specifier the resolver allows still loads.
    expect(ns.computedRelative).toBe(2);
  });

  it('evaluates a module imported twice (static, static, dynamic, host) once per sandbox', async () => {
    hits.length = 0;
    const sandbox = make(options());
    const main = await sandbox.import('./counter/main.mjs');
    expect(main).toEqual({ fromA: 1, fromB: 2, fromDynamic: 3 });
    const state = await sandbox.import('./counter/state.mjs');
    expect(await (state.bump as Fn)()).toBe(4);
    expect(hits).toEqual(['state.mjs evaluated']);
  });

  it('gives each sandbox its own module instances', async () => {
    hits.length = 0;
    const first = make(options());
    const second = make(options());
    const one = await first.import('./counter/main.mjs');
    const oneState = await first.import('./counter/state.mjs');
    expect(await (oneState.bump as Fn)()).toBe(4);
    expect(await (oneState.bump as Fn)()).toBe(5);
    const two = await second.import('./counter/main.mjs');
    expect(one).toEqual({ fromA: 1, fromB: 2, fromDynamic: 3 });
    expect(two).toEqual({ fromA: 1, fromB: 2, fromDynamic: 3 });
    const twoState = await second.import('./counter/state.mjs');
    expect(await (twoState.bump as Fn)()).toBe(4);
    expect(hits).toEqual(['state.mjs evaluated', 'state.mjs evaluated']);
  });
});

describeEach('namespace view', ({ make }) => {
  const load = () => make({ root }).import('./view.mjs');

  it('is frozen', async () => {
    const ns = await load();
    expect(Object.isFrozen(ns)).toBe(true);
    expect(() => {
      (ns as Record<string, unknown>).data = 1;
    }).toThrow(TypeError);
    expect(() => {
      delete (ns as Record<string, unknown>).live;
    }).toThrow(TypeError);
  });

  it('copies data out: mutating the host copy does not change the sandbox', async () => {
    const ns = await load();
    const data = ns.data as { list: number[]; nested: { n: number }; when: Date; tags: Set<string> };
    expect(data).toEqual({ list: [1, 2], nested: { n: 1 }, when: new Date(0), tags: new Set(['x']) });
    expect(data.when).toBeInstanceOf(Date);
    expect(data.tags).toBeInstanceOf(Set);
    data.list.push(3);
    data.nested.n = 99;
    expect(await (ns.listLength as Fn)()).toBe(2);
    expect(await (ns.nestedN as Fn)()).toBe(1);
  });

  it('is a snapshot of live bindings at import time; a new import sees the current values', async () => {
    const sandbox = make({ root });
    const ns = await sandbox.import('./view.mjs');
    expect(await (ns.setLive as Fn)(5)).toBe(5);
    expect(ns.live).toBe(1);
    expect((await sandbox.import('./view.mjs')).live).toBe(5);
  });

  it('makes exported functions, also nested in objects, host-callable with promise results', async () => {
    const ns = await load();
    const api = ns.api as { double: Fn; inner: { triple: Fn }; later: Fn; self: Fn };
    const doubled = api.double(21);
    expect(doubled).toBeInstanceOf(Promise);
    expect(await doubled).toBe(42);
    expect(await api.inner.triple(3)).toBe(9);
    expect(await api.later(1)).toBe(2);
  });

  it('copies class instances with their methods: own arrow fields and prototype methods are host-callable on the instance', async () => {
    const ns = await load();
    const counter = ns.counter as { n: number; inc: Fn; dec: Fn };
    expect(counter.n).toBe(0);
    expect(await counter.inc()).toBe(1);
    expect(await counter.inc()).toBe(2);
    expect(await counter.dec()).toBe(1);
    expect(await (ns.counterValue as Fn)()).toBe(1);
    expect(counter.n).toBe(0);
  });

  it('carries inherited methods of a class hierarchy (the nearest wins), not accessors, implicit hooks or Object.prototype', async () => {
    const ns = await load();
    const plugin = ns.plugin as Record<string, unknown>;
    expect(Object.keys(plugin).sort()).toEqual(['calls', 'hello', 'name', 'transform']);
    expect(await (plugin.transform as Fn)('code')).toBe('code // plugin');
    expect(await (plugin.hello as Fn)()).toBe('hello from plugin!');
    expect(await (ns.pluginCalls as Fn)()).toBe(1);
    // The getter would run sandbox code on a read; toString would run it whenever the host formats.
    expect(plugin.label).toBeUndefined();
    expect(String(plugin)).toBe('[object Object]');
    expect(Object.keys(ns.data as object).sort()).toEqual(['list', 'nested', 'tags', 'when']);
    expect(ns.arrayLike).toEqual({ own: 1 });
  });

  it('copies host instances into the sandbox with the same walk: inherited methods (the nearest wins), none from a built-in prototype', async () => {
    class Base {
      hello() {
        return 'base';
      }
      shared() {
        return 'base';
      }
    }
    class Derived extends Base {
      override shared() {
        return 'derived';
      }
      get label() {
        return 'getter';
      }
    }
    const arrayLike = Object.assign(Object.create(Array.prototype) as object, { own: 1 });
    const shadowed = Object.defineProperty(new Derived(), 'hello', { value: 'own data', enumerable: false });
    const ns = await make({ policy: false }).evaluate(`
      const describe = (o) => Object.keys(o).sort().map((k) => k + ':' + (typeof o[k] === 'function' ? 'fn' : typeof o[k]));
      export const seen = async (derived, arrayLike, shadowed) => ({
        derived: describe(derived), shared: await derived.shared(), arrayLike: describe(arrayLike), shadowed: describe(shadowed),
      });`);
    expect(await (ns.seen as Fn)(new Derived(), arrayLike, shadowed)).toEqual({
      derived: ['hello:fn', 'shared:fn'],
      shared: 'derived',
      arrayLike: ['own:number'],
      shadowed: ['shared:fn'],
    });
  });

  it('stops the walk for methods at a proxy on the prototype chain without running its traps', async () => {
    const ns = await load();
    expect(ns.behindProxy).toEqual({ own: 1 });
    expect(await (ns.proxyTrapsRun as Fn)()).toBe(0);
  });
});
