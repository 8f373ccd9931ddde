import { describe, expect, it } from 'vitest';
import { lint, positions } from './helpers.js';

const rule = 'no-host-globals';
const names = (source: string) => lint(rule, source).map((d) => d.message.match(/`([^`]+)`/)?.[1]);

describe(rule, () => {
  it('reports free references with their position', () => {
    const diagnostics = lint(rule, 'const a = 1;\nconst b = a + require("x").y;\n');
    expect(positions(diagnostics)).toEqual([[2, 15]]);
    expect(diagnostics[0]).toMatchObject({ endColumn: 22, message: expect.stringContaining('`require`') });
  });

  it('reports every listed name and the loader-internal prefix', () => {
    const source = [
      'process', 'require', 'module', 'exports', 'global', 'Buffer', '__dirname', '__filename',
      'eval', 'Function', 'WebAssembly', 'SharedArrayBuffer', 'Atomics', '__esmSandboxHost',
    ].map((name) => `use(${name});`).join('\n');
    expect(lint(rule, source)).toHaveLength(14);
  });

  it('gives a message that says why', () => {
    expect(lint(rule, 'eval("1")')[0]?.message).toMatch(/compiles code/);
    expect(lint(rule, 'new SharedArrayBuffer(1)')[0]?.message).toMatch(/shared memory/);
    expect(lint(rule, 'process.env')[0]?.message).toMatch(/Node\.js global/);
    expect(lint(rule, '__esmSandboxX')[0]?.message).toMatch(/internals/);
  });

  it('does not report a bare typeof, but reports anything read behind it', () => {
    expect(names('const ok = typeof process !== "undefined" && typeof require === "function";')).toEqual([]);
    expect(names('const v = typeof process !== "undefined" && process.version;')).toEqual(['process']);
    expect(names('const t = typeof process.env;')).toEqual(['process']);
    expect(names('const t = typeof (0, eval);')).toEqual(['eval']);
  });

  it('reports host names read off globalThis', () => {
    expect(positions(lint(rule, 'const p = globalThis.process;'))).toEqual([[1, 11]]);
    expect(names('globalThis["require"]("fs");')).toEqual(['require']);
    expect(names('const { Buffer, setTimeout: later } = globalThis;')).toEqual(['Buffer']);
    expect(names('const t = typeof globalThis.process;')).toEqual([]);
    expect(names('globalThis.globalThis.process.exit();')).toEqual(['process']);
    expect(names('globalThis[`${"req"}uire`]("fs");')).toEqual(['require']);
    expect(names('const globalThis = { process: 1 }; globalThis.process;')).toEqual([]);
  });

  describe('scopes: shadowed names are locals, not globals', () => {
    it.each([
      ['const', 'const process = { env: {} }; process.env;'],
      ['let in a block', '{ let require = (x) => x; require("a"); }'],
      ['parameter', 'function load(require, module) { return require(module); }'],
      ['arrow parameter', 'const load = (require) => require("x");'],
      ['destructured parameter', 'function f({ process, a: [Buffer] }) { return process + Buffer; }'],
      ['default parameter', 'function f(process = 1) { return process; }'],
      ['rest parameter', 'function f(...exports) { return exports; }'],
      ['catch parameter', 'try {} catch (Function) { Function.message; }'],
      ['import binding', 'import process from "./p.mjs"; process.run();'],
      ['namespace import', 'import * as module from "./m.mjs"; module.x;'],
      ['function declaration', 'function require() {} require();'],
      ['hoisted function', 'require(); function require() {}'],
      ['class declaration', 'class Buffer {} new Buffer();'],
      ['class expression name inside', 'const B = class Buffer { static of() { return new Buffer(); } };'],
      ['function expression name inside', 'const f = function global() { return global; };'],
      ['var hoisted out of a block', 'function f() { if (x) { var global = 1; } return global; }'],
      ['var hoisted before use', 'function f() { const g = () => global; var global = 1; return g; }'],
      ['for let', 'for (let process = 0; process < 3; process++) {}'],
      ['for of const', 'for (const module of list) module.init();'],
      ['for in var', 'for (var exports in o) exports;'],
      ['switch case', 'switch (x) { case 1: let process = 2; process++; }'],
      ['static block', 'class A { static { var process = 1; process++; } }'],
      ['exported declaration', 'export const module = {}; module.x = 1;'],
      ['exported default function', 'export default function require() {} require();'],
    ])('%s', (_, source) => {
      expect(names(source)).toEqual([]);
    });

    it('a shadow ends where its scope ends', () => {
      expect(names('{ const process = 1; } process.exit();')).toEqual(['process']);
      expect(names('function f(require) {} require("x");')).toEqual(['require']);
      expect(names('const f = function global() {}; global.x;')).toEqual(['global']);
      expect(names('try {} catch (Function) {} new Function("1");')).toEqual(['Function']);
      expect(names('for (let module of m) {} module.exports = 1;')).toEqual(['module']);
      expect(names('const C = class Buffer {}; Buffer.from("x");')).toEqual(['Buffer']);
    });
  });

  it('ignores property names, labels, keys, strings and comments', () => {
    for (const source of [
      'options.process = true;',
      'const o = { require: 1, process() {}, get Buffer() { return 1; } };',
      'class J { process() {} static require = 1; #module = 2; }',
      'process: for (;;) { break process; }',
      'const s = "process.env.SECRET require(\'fs\')"; // process.exit()',
      'const { process: p } = options;',
      'export { x as process }; const x = 1;',
      'import { process as p2 } from "./x.mjs";',
    ]) {
      expect(names(source), source).toEqual([]);
    }
  });
});
