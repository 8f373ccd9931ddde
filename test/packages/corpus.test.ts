/**
 * Real npm packages (devDependencies) inside the sandbox, under the `recommended` policy. Each probe
 * in fixtures/packages/corpus/ calls a few representative functions of one package and exports the
 * results as data; it is imported natively and in a sandbox, and both must give the same data (the
 * sandbox's comes out through the membrane, a copy). A package the sandbox refuses must be refused
 * for the documented reason: the error class and the rule ids, and what happens with the policy off
 * (the realm's own verdict, which tells the policy-precision step what each rule is worth here).
 * The score is printed; README's "Packages" section carries the same table.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createSandbox, PolicyError, type Sandbox } from '../../src/index.js';

const root = new URL('../../fixtures/packages/corpus/', import.meta.url);

/** What the realm does with the policy off: the same data, or an error of this class and message. */
type Unchecked = 'same' | { error: string; message: RegExp };

interface Case {
  name: string;
  /** Export conditions, when not the default ones (the probe is the same file). */
  conditions?: readonly string[];
  /** Under `recommended`: the same data as natively, or a PolicyError with exactly these rules. */
  recommended: 'same' | { rules: readonly string[] };
  off: Unchecked;
  /** Rules that warn (and only warn) on the package under `recommended`; none when absent. */
  warns?: readonly string[];
}

/** Why each refusal, in one line: see README "Packages". */
const CORPUS: readonly Case[] = [
  { name: 'date-fns', recommended: 'same', off: 'same' },
  { name: 'yaml', recommended: 'same', off: 'same' },
  { name: 'marked', recommended: 'same', off: 'same' },
  { name: 'valibot', recommended: 'same', off: 'same' },
  { name: 'clsx', recommended: 'same', off: 'same' },
  { name: 'dequal', recommended: 'same', off: 'same' },
  // 56 files in 21 packages: its dependencies resolve as their package.json files declare them.
  { name: 'micromark', recommended: 'same', off: 'same' },
  { name: 'defu', recommended: 'same', off: 'same' },
  { name: 'ufo', recommended: 'same', off: 'same' },
  { name: 'superstruct', recommended: 'same', off: 'same' },
  { name: 'mitt', recommended: 'same', off: 'same' },
  // v4 and v7 draw on the realm's crypto.randomUUID and crypto.getRandomValues.
  { name: 'uuid', recommended: 'same', off: 'same' },
  // `Function('return this')()` finds the global object (the realm answers it, docs/SEMANTICS.md);
  // `typeof exports == 'object' && exports` guards; `Ctor.prototype.constructor = Ctor`. One warning:
  // `Function(...)` in template(), which would throw EvalError if called.
  { name: 'lodash-es', recommended: 'same', off: 'same', warns: ['no-code-generation'] },
  // `const F = Function; new F('')` probes for eval (caught), `Error.stackTraceLimit`, `captureStackTrace`, `delete o.__proto__`.
  { name: 'zod', recommended: 'same', off: 'same' },
  // A component's render calls `this.constructor(props, context)`.
  { name: 'preact', recommended: 'same', off: 'same' },
  // `Function.toString.call(Ctor)` to recognise plain objects.
  { name: 'immer', recommended: 'same', off: 'same' },
  // Reads `process.stdout.isTTY` behind `typeof process !== 'undefined'` (the shim has no stdout: no colours by TTY).
  { name: 'kleur', recommended: 'same', off: 'same' },
  // Its `#supports-color` import resolves to the browser build under the default condition.
  { name: 'chalk', recommended: 'same', off: 'same' },
  { name: 'escape-string-regexp', recommended: 'same', off: 'same' },
  // `Sub.__proto__ = Base` (compiled classes), `iter.constructor(seq)`.
  { name: 'immutable', recommended: 'same', off: 'same' },
  // The default export condition imports `node:crypto` and uses `Buffer` (the browser build needs `crypto.getRandomValues`).
  {
    name: 'nanoid',
    recommended: { rules: ['no-disallowed-import', 'no-host-globals'] },
    off: { error: 'ModuleNotAllowedError', message: /"node:crypto"/ },
  },
  // Its browser build needs only `crypto.getRandomValues`, a web global of the realm.
  { name: 'nanoid', conditions: ['browser', 'import', 'default'], recommended: 'same', off: 'same' },
  // CommonJS from here on: each file compiled as a function of the realm, behind an ES module
  // facade (`default` is module.exports, named exports found by cjs-module-lexer).
  // `module.exports = createColors()`; reads `process.argv`/`process.env` of the realm's shim.
  { name: 'picocolors', recommended: 'same', off: 'same' },
  // `main: "./index"` (no extension), a `module.exports = function`.
  { name: 'ms', recommended: 'same', off: 'same' },
  // 50 files: relative `require()` without extensions, a class hierarchy, named exports lexed from `module.exports = { … }`.
  { name: 'semver', recommended: 'same', off: 'same' },
  { name: 'escape-html', recommended: 'same', off: 'same' },
  // `main: "dist/cjs.js"`, a UMD-less CommonJS build; `merge.all` is a property of the default export.
  { name: 'deepmerge', recommended: 'same', off: 'same' },
  { name: 'fast-deep-equal', recommended: 'same', off: 'same' },
  // lodash's standalone build: `Function('return this')()` and `typeof global == 'object' && global` to find the global object.
  { name: 'lodash.get', recommended: 'same', off: 'same' },
];

const score: Array<[name: string, verdict: string]> = [];

async function inSandbox(
  name: string,
  policy: false | undefined,
  conditions?: readonly string[],
): Promise<{ result?: unknown; error?: Error; warned: string[] }> {
  const warned = new Set<string>();
  const sandbox: Sandbox = createSandbox({
    root,
    isolation: 'context',
    packages: [name],
    ...(conditions === undefined ? {} : { conditions: [...conditions] }),
    policy,
    timeout: 5_000,
    onWarning: (d) => warned.add(d.ruleId),
  });
  try {
    const ns = await sandbox.import(`./${name}.mjs`);
    return { result: ns.result, warned: [...warned].sort() };
  } catch (error) {
    return { error: error as Error, warned: [...warned].sort() };
  } finally {
    await sandbox.dispose();
  }
}

describe('npm packages in the sandbox, compared with native import()', () => {
  afterAll(() => {
    const passed = score.filter(([, verdict]) => verdict === 'same').length;
    console.log(
      `packages corpus: ${passed}/${score.length} run unchanged under recommended\n${score.map(([n, v]) => `  ${n}: ${v}`).join('\n')}`,
    );
  });

  for (const { name, conditions, recommended, off, warns = [] } of CORPUS) {
    const label = conditions === undefined ? name : `${name} (${conditions.join(', ')})`;
    it(`${label}: ${recommended === 'same' ? 'same results as natively' : `refused by ${recommended.rules.join(', ')}`}`, async () => {
      const native = (await import(fileURLToPath(new URL(`${name}.mjs`, root)))) as { result: unknown };
      const checked = await inSandbox(name, undefined, conditions);
      if (recommended === 'same') {
        expect(checked.error).toBeUndefined();
        expect(checked.result).toEqual(native.result);
        expect(checked.warned).toEqual([...warns].sort());
        score.push([label, 'same']);
      } else {
        expect(checked.error).toBeInstanceOf(PolicyError);
        const rules = [...new Set((checked.error as PolicyError).diagnostics.map((d) => d.ruleId))].sort();
        expect(rules).toEqual([...recommended.rules].sort());
        // Every finding is in the package, none in the probe: the refusal is the package's.
        expect((checked.error as PolicyError).diagnostics.every((d) => d.file.includes(`/node_modules/${name}/`))).toBe(true);
        score.push([label, `refused (${rules.join(', ')})`]);
      }
      const unchecked = await inSandbox(name, false, conditions);
      if (off === 'same') {
        expect(unchecked.error).toBeUndefined();
        expect(unchecked.result).toEqual(native.result);
      } else {
        expect(unchecked.error?.name).toBe(off.error);
        expect(unchecked.error?.message).toMatch(off.message);
      }
    });
  }
});
