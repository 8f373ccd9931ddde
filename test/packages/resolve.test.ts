/**
 * `packages`: bare specifiers resolve to npm packages as Node finds them (node_modules upward,
 * `exports`/`imports` with conditions, `module`/`main` without `exports`), each package confined to
 * its own real directory, dependencies only as its package.json declares them. Every refusal names
 * the package and the importing file with line:column. The tree is written to a temporary
 * directory: real files and real symlinks, made fresh for the run.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModuleNotAllowedError, PolicyError, ResolveError, createSandbox } from '../../src/index.js';
import { checkGraph } from '../../src/load/check-graph.js';
import { resolvePolicy } from '../../src/analyze/policy/engine.js';
import { Packages } from '../../src/resolve/packages.js';
import { describeEach, rejection } from '../helpers/sandbox.js';

let base: string;
let root: string;

const json = (value: unknown) => JSON.stringify(value);

/** Every file of the tree, path → text; `->` entries are symlinks. */
const TREE: Record<string, string> = {
  'outside-secret.mjs': 'export const secret = "outside";',
  'outside-pkg/package.json': json({ name: 'linked', exports: './index.js' }),
  'outside-pkg/index.js': 'export const linked = true;',
  'node_modules/up-pkg/package.json': json({ name: 'up-pkg', exports: { '.': './index.js' } }),
  'node_modules/up-pkg/index.js': 'export const where = "found above the root";',
  'project/main.mjs': 'export const main = "root code";',
  'project/node_modules/alpha/package.json': json({
    name: 'alpha',
    exports: {
      '.': { require: './cjs/index.cjs', import: './esm/index.js' },
      './feature': './esm/feature.js',
      './internal/*': null,
      './data/*': './data/*.js',
      './escape': './../../../outside-secret.mjs',
      './sneaky': './esm/sneaky.js',
      './undeclared': './esm/undeclared.js',
      './self': './esm/self.js',
      './dynamic': './esm/dynamic.js',
      './probe': './esm/probe.js',
    },
    imports: { '#util': './esm/util.js', '#dep': 'beta', '#up': './../../main.mjs', '#parent': '../main.mjs', '#fs': 'node:fs' },
    dependencies: { beta: '1.0.0' },
  }),
  'project/node_modules/alpha/esm/index.js': "import { b } from 'beta';\nimport { u } from '#util';\nexport const a = `alpha:${b}:${u}`;",
  'project/node_modules/alpha/esm/feature.js': 'export const feature = "feature";',
  'project/node_modules/alpha/esm/util.js': 'export const u = "util";',
  'project/node_modules/alpha/esm/self.js':
    "import { feature } from 'alpha/feature';\nimport { b } from '#dep';\nexport const self = `${feature}:${b}`;",
  'project/node_modules/alpha/esm/dynamic.js': [
    "export const declared = () => import('beta').then((ns) => ns.b);",
    "export const undeclared = () => import('gamma').then(() => 'loaded', (e) => [e instanceof Error, e.constructor === Error || e.constructor === TypeError, e.message]);",
  ].join('\n'),
  'project/node_modules/alpha/data/x.js': 'export const x = "data x";',
  'project/node_modules/alpha/esm/sneaky.js': "export { main } from '../../../main.mjs';",
  'project/node_modules/alpha/esm/undeclared.js': "export { g } from 'gamma';",
  'project/node_modules/alpha/node_modules/beta/package.json': json({ name: 'beta', module: './b.mjs', main: './b.cjs' }),
  'project/node_modules/alpha/node_modules/beta/b.mjs': 'export const b = "nested beta";',
  'project/node_modules/beta/package.json': json({ name: 'beta', module: 'b.mjs' }),
  'project/node_modules/beta/b.mjs': 'export const b = "hoisted beta";',
  'project/node_modules/gamma/package.json': json({ name: 'gamma', exports: './index.js' }),
  'project/node_modules/gamma/index.js': 'export const g = "gamma";',
  'project/node_modules/mainonly/package.json': json({ name: 'mainonly', main: 'lib/entry' }),
  'project/node_modules/mainonly/lib/entry.js': 'export const entry = "main without extension";',
  'project/node_modules/mainonly/lib/deep.js': 'export const deep = "deep without exports";',
  'project/node_modules/@scope/cond/package.json': json({
    name: '@scope/cond',
    exports: { '.': { browser: './browser.js', node: './node.js', import: './import.js', default: './default.js' } },
  }),
  'project/node_modules/@scope/cond/browser.js': 'export const picked = "browser";',
  'project/node_modules/@scope/cond/node.js': 'export const picked = "node";',
  'project/node_modules/@scope/cond/import.js': 'export const picked = "import";',
  'project/node_modules/@scope/cond/default.js': 'export const picked = "default";',
  'project/node_modules/escaper/package.json': json({ name: 'escaper', exports: { '.': './index.js', './link': './link.js' } }),
  'project/node_modules/escaper/index.js': 'export const ok = true;',
  'project/node_modules/escaper/link.js': '-> ../../../outside-secret.mjs',
  'project/node_modules/linked': '-> ../../outside-pkg',
  'project/node_modules/env/package.json': json({ name: 'env', exports: './index.js' }),
  'project/node_modules/env/index.js': "export const mode = process.env.NODE_ENV === 'production' ? 'production' : process.env.NODE_ENV;",
};

beforeAll(() => {
  base = realpathSync(mkdtempSync(path.join(tmpdir(), 'esm-sandbox-packages-')));
  for (const [file, text] of Object.entries(TREE)) {
    const full = path.join(base, file);
    mkdirSync(path.dirname(full), { recursive: true });
    if (text.startsWith('-> ')) symlinkSync(text.slice(3), full);
    else writeFileSync(full, text);
  }
  root = path.join(base, 'project');
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

const mainUrl = () => pathToFileURL(path.join(root, 'main.mjs')).href;
const inAlpha = (file: string) => pathToFileURL(path.join(root, 'node_modules/alpha/esm', file)).href;

describeEach(
  'packages',
  ({ make }) => {
    it('imports a listed package, its declared dependency (nested node_modules first) and its `#` imports', async () => {
      const sandbox = make({ root, packages: ['alpha'] });
      const ns = await sandbox.evaluate("import { a } from 'alpha';\nexport { a };");
      expect(ns.a).toBe('alpha:nested beta:util');
      expect(await sandbox.files()).toContain(path.join(root, 'node_modules/alpha/node_modules/beta/b.mjs'));
    });

    it('finds packages in node_modules above the root', async () => {
      const sandbox = make({ root, packages: ['up-pkg'] });
      expect((await sandbox.import('up-pkg')).where).toBe('found above the root');
    });

    it('refuses a package that is not listed, naming it and the importing file', async () => {
      const sandbox = make({ root, packages: ['alpha'], policy: false });
      const error = await rejection(sandbox.evaluate("import { g } from 'gamma';", { filename: 'main.mjs' }));
      expect(error).toBeInstanceOf(ModuleNotAllowedError);
      expect(error.message).toContain('"gamma" is not in `packages`');
      expect(error.message).toContain(`${mainUrl()}:1:19`);
    });
  },
  ['context', 'worker'],
);

describe('packages [context]', () => {
  const open = (options: Parameters<typeof createSandbox>[0] = {}) => createSandbox({ root, isolation: 'context', ...options });

  async function refusal(packages: string[], source: string, options: Parameters<typeof createSandbox>[0] = {}) {
    const sandbox = open({ packages, policy: false, ...options });
    try {
      return await rejection(sandbox.evaluate(source, { filename: 'main.mjs' }));
    } finally {
      await sandbox.dispose();
    }
  }

  it('allows deep imports only where `exports` does', async () => {
    const sandbox = open({ packages: ['alpha'] });
    const ns = await sandbox.evaluate("export { feature } from 'alpha/feature';\nexport { x } from 'alpha/data/x';");
    expect(ns).toMatchObject({ feature: 'feature', x: 'data x' });
    await sandbox.dispose();
    for (const specifier of ['alpha/esm/feature.js', 'alpha/internal/a', 'alpha/package.json']) {
      const error = await refusal(['alpha'], `import '${specifier}';`);
      expect(error).toBeInstanceOf(ResolveError);
      expect(error.message).toMatch(/package "alpha" does not export/);
      expect(error.message).toContain(`${mainUrl()}:1:8`);
    }
  });

  it('resolves self-references by name and `#` imports that name a dependency', async () => {
    const sandbox = open({ packages: ['alpha'] });
    expect((await sandbox.import('alpha/self')).self).toBe('feature:nested beta');
    await sandbox.dispose();
  });

  it('resolves import() in package code as its static imports: declared dependencies only, refusals as sandbox errors', async () => {
    const sandbox = open({ packages: ['alpha'], policy: false });
    const ns = await sandbox.import('alpha/dynamic');
    expect(await (ns.declared as () => Promise<string>)()).toBe('nested beta');
    const [isError, sandboxRealm, message] = await (ns.undeclared as () => Promise<[boolean, boolean, string]>)();
    expect([isError, sandboxRealm]).toEqual([true, true]);
    expect(message).toMatch(/package "alpha" does not declare "gamma"/);
    await sandbox.dispose();
  });

  it('says when a listed package is not installed', async () => {
    const error = await refusal(['missing'], "import 'missing';");
    expect(error).toBeInstanceOf(ResolveError);
    expect(error.message).toMatch(/package "missing" is not installed/);
  });

  it('refuses an `exports` target outside the package', async () => {
    const error = await refusal(['alpha'], "import 'alpha/escape';");
    expect(error).toBeInstanceOf(ResolveError);
    expect(error.message).toMatch(/outside package "alpha"/);
  });

  it('refuses `#` imports mapped out of the package or to a builtin, and `#` imports in sandbox code', async () => {
    const sandbox = open({ packages: ['alpha'], policy: false });
    try {
      for (const [specifier, kind, reason] of [
        ['#up', ResolveError, /target ".\/..\/..\/main.mjs" is outside package "alpha"/],
        ['#parent', ResolveError, /not a valid package name/],
        ['#fs', ModuleNotAllowedError, /maps "#fs" to "node:fs"; only the allow-list/],
        ['#nothing', ResolveError, /package "alpha" does not map "#nothing"/],
      ] as const) {
        writeFileSync(path.join(root, 'node_modules/alpha/esm/probe.js'), `import '${specifier}';`);
        const error = await rejection(sandbox.evaluate("import 'alpha/probe';", { filename: `probe-${specifier.slice(1)}.mjs` }));
        expect(error).toBeInstanceOf(kind);
        expect(error.message).toMatch(reason);
        expect(error.message).toContain(`${inAlpha('probe.js')}:1:8`);
      }
      const own = await rejection(sandbox.evaluate("import '#util';", { filename: 'main.mjs' }));
      expect(own).toBeInstanceOf(ResolveError);
      expect(own.message).toMatch(/`#` imports are resolved only inside packages/);
    } finally {
      await sandbox.dispose();
    }
  });

  it('refuses a relative import out of the package, into the sandbox root', async () => {
    const error = await refusal(['alpha'], "import 'alpha/sneaky';");
    expect(error).toBeInstanceOf(ResolveError);
    expect(error.referrer).toBe(inAlpha('sneaky.js'));
    expect(error.message).toMatch(/outside its package's directory .*alpha/);
    expect(error.message).toContain(`${inAlpha('sneaky.js')}:1:22`);
  });

  it('refuses a symlinked file leading out of the package, and a package linked from outside node_modules', async () => {
    const file = await refusal(['escaper'], "import 'escaper/link';");
    expect(file).toBeInstanceOf(ResolveError);
    expect(file.message).toMatch(/symbolic link that points outside package "escaper"/);
    const dir = await refusal(['linked'], "import 'linked';");
    expect(dir).toBeInstanceOf(ResolveError);
    expect(dir.message).toMatch(/package "linked" is a symbolic link to .*outside-pkg, which is not a package directory/);
  });

  it('lets a package import only what its package.json declares', async () => {
    const error = await refusal(['alpha', 'gamma'].slice(0, 1), "import 'alpha/undeclared';");
    expect(error).toBeInstanceOf(ModuleNotAllowedError);
    expect(error.message).toMatch(/package "alpha" does not declare "gamma" in its dependencies/);
    expect(error.message).toContain(`${inAlpha('undeclared.js')}:1:19`);
    // Listing it grants it to every importer.
    const sandbox = open({ packages: ['alpha', 'gamma'], policy: false });
    expect((await sandbox.import('alpha/undeclared')).g).toBe('gamma');
    await sandbox.dispose();
  });

  it('falls back to `module`, then `main` (extension and index added) without `exports`, and allows any deep file then', async () => {
    const sandbox = open({ packages: ['mainonly', 'beta'] });
    const ns = await sandbox.evaluate(
      "export { entry } from 'mainonly';\nexport { deep } from 'mainonly/lib/deep.js';\nexport { b } from 'beta';",
    );
    expect(ns).toMatchObject({ entry: 'main without extension', deep: 'deep without exports', b: 'hoisted beta' });
    await sandbox.dispose();
  });

  it('resolves with `import`, `default` by default (never `node`), and with the conditions given', async () => {
    const plain = open({ packages: ['@scope/cond'] });
    expect((await plain.import('@scope/cond')).picked).toBe('import');
    await plain.dispose();
    const browser = open({ packages: ['@scope/cond'], conditions: ['browser', 'import'] });
    expect((await browser.import('@scope/cond')).picked).toBe('browser');
    await browser.dispose();
    const fallback = open({ packages: ['@scope/cond'], conditions: ['worker'] });
    expect((await fallback.import('@scope/cond')).picked).toBe('default');
    await fallback.dispose();
  });

  it('reports an unlisted package as a policy finding first, and not a listed one', async () => {
    const sandbox = open({ packages: ['alpha'] });
    const error = await rejection<PolicyError>(sandbox.evaluate("import 'alpha';\nimport 'gamma';", { filename: 'main.mjs' }));
    expect(error).toBeInstanceOf(PolicyError);
    const { diagnostics } = error;
    expect(diagnostics.map((d) => [d.ruleId, d.line])).toEqual([['no-disallowed-import', 2]]);
    await sandbox.dispose();
  });

  it('keys cached findings on the packages: the same file is refused with one list and accepted with another', async () => {
    const source = "export { a } from 'alpha';\nexport { g } from 'gamma';";
    const narrow = open({ packages: ['alpha'] });
    const error = await rejection<PolicyError>(narrow.evaluate(source, { filename: 'cached.mjs' }));
    expect(error.diagnostics.map((d) => d.ruleId)).toEqual(['no-disallowed-import']);
    const wide = open({ packages: ['alpha', 'gamma'] });
    expect(await wide.evaluate(source, { filename: 'cached.mjs' })).toMatchObject({ a: 'alpha:nested beta:util', g: 'gamma' });
    await Promise.all([narrow.dispose(), wide.dispose()]);
  });

  it('check follows the same resolution, and keys its findings on the packages', async () => {
    writeFileSync(path.join(root, 'checked.mjs'), "import 'alpha';\nimport 'gamma';\n");
    const policy = resolvePolicy({});
    const isAllowed = () => false;
    const listed = await checkGraph('./checked.mjs', {
      policy,
      resolver: {
        root,
        isAllowed,
        packages: new Packages(root, { listed: new Set(['alpha', 'gamma']), conditions: ['import', 'default'] }),
      },
    });
    expect(listed).toEqual([]);
    const some = await checkGraph('./checked.mjs', {
      policy,
      resolver: { root, isAllowed, packages: new Packages(root, { listed: new Set(['alpha']), conditions: ['import', 'default'] }) },
    });
    expect(some.map((d) => [d.ruleId, d.line])).toEqual([['no-disallowed-import', 2]]);
  });

  it('rejects bad options at createSandbox', () => {
    expect(() => open({ packages: ['../up'] })).toThrow(/packages: "..\/up" is not a package name/);
    expect(() => open({ packages: ['alpha/feature'] })).toThrow(/not a package name/);
    expect(() => open({ packages: 'alpha' as never })).toThrow(/packages must be an array/);
    expect(() => open({ packages: ['alpha'], conditions: [''] })).toThrow(/conditions must be an array/);
  });
});

describe('process.env.NODE_ENV [context]', () => {
  it('gives sandboxes with packages a frozen process of their own, holding only env.NODE_ENV', async () => {
    const before = process.env.NODE_ENV;
    const sandbox = createSandbox({ root, isolation: 'context', packages: ['env'] });
    const ns = await sandbox.import('env');
    expect(ns.mode).toBe('production');
    // Nothing of the host's process is behind it (the policy refuses these probes; the realm is what holds):
    // writes fail inside and change nothing outside, and its constructor chain is the realm's.
    const unchecked = createSandbox({ root, isolation: 'context', packages: ['env'], policy: false });
    const raw = await unchecked.evaluate(
      [
        'let wrote = "no";',
        'try { process.env.NODE_ENV = "hacked"; wrote = "yes"; } catch (e) { wrote = e.name; }',
        'let code = "no";',
        'try { code = process.constructor.constructor("return typeof require")(); } catch (e) { code = e.name; }',
        'export const result = [wrote, code, typeof process.exit, typeof process.versions, typeof process.env.PATH, process.env.NODE_ENV,',
        '  Object.keys(process).join(), Object.keys(process.env).join(), Object.isFrozen(process) && Object.isFrozen(process.env),',
        '  Object.getPrototypeOf(process) === Object.prototype && Object.getPrototypeOf(process.env) === Object.prototype];',
      ].join('\n'),
    );
    expect(raw.result).toEqual([
      'TypeError',
      'EvalError',
      'undefined',
      'undefined',
      'undefined',
      'production',
      'env',
      'NODE_ENV',
      true,
      true,
    ]);
    expect(process.env.NODE_ENV).toBe(before);
    expect(typeof process.exit).toBe('function');
    await Promise.all([sandbox.dispose(), unchecked.dispose()]);
  });

  it('takes nodeEnv, and leaves sandboxes without packages with no process at all', async () => {
    const dev = createSandbox({ root, isolation: 'context', packages: ['env'], nodeEnv: 'development' });
    expect((await dev.import('env')).mode).toBe('development');
    const none = createSandbox({ root, isolation: 'context' });
    expect(await none.evaluate('export const t = typeof process, g = typeof globalThis.process;')).toMatchObject({
      t: 'undefined',
      g: 'undefined',
    });
    await Promise.all([dev.dispose(), none.dispose()]);
  });

  it('lets the policy accept process.env reads where the shim exists, and nothing else of process', async () => {
    const sandbox = createSandbox({ root, isolation: 'context', packages: ['env'] });
    const ok = await sandbox.evaluate('export const dev = process.env.NODE_ENV !== "production", g = globalThis.process.env.NODE_ENV;');
    expect(ok).toMatchObject({ dev: false, g: 'production' });
    const error = await rejection<PolicyError>(sandbox.evaluate('process.exit(1);'));
    expect(error.diagnostics.map((d) => d.ruleId)).toEqual(['no-host-globals']);
    await sandbox.dispose();
    const without = createSandbox({ root, isolation: 'context' });
    const refused = await rejection<PolicyError>(without.evaluate('export const m = process.env.NODE_ENV;'));
    expect(refused.diagnostics.map((d) => d.ruleId)).toEqual(['no-host-globals']);
    await without.dispose();
  });
});
