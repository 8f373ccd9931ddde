import { describe, expect, it } from 'vitest';
import { env, lint, positions } from './helpers.js';

const rule = 'no-host-globals';
const names = (source: string) => lint(rule, source).map((d) => d.message.match(/`([^`]+)`/)?.[1]);

describe(rule, () => {
  it('reports free references with their position', () => {
    const diagnostics = lint(rule, 'const a = 1;\nconst b = a + require("x").y;\n');
    expect(positions(diagnostics)).toEqual([[2, 15]]);
    expect(diagnostics[0]).toMatchObject({ endColumn: 22, message: expect.stringContaining('`require`') });
  });

  it('reports every listed name and the loader-internal prefix, and no longer eval or Function (no-code-generation)', () => {
    const source = [
      'process',
      'require',
      'module',
      'exports',
      'global',
      'Buffer',
      '__dirname',
      '__filename',
      'WebAssembly',
      'SharedArrayBuffer',
      'Atomics',
      '__esmSandboxHost',
    ]
      .map((name) => `use(${name});`)
      .join('\n');
    expect(lint(rule, source)).toHaveLength(12);
    expect(lint(rule, 'use(eval); use(Function); x instanceof Function; Function.toString.call(C);')).toEqual([]);
  });

  it('gives a message that says why', () => {
    expect(lint(rule, 'WebAssembly.compile(b)')[0]?.message).toMatch(/compiles code/);
    expect(lint(rule, 'new SharedArrayBuffer(1)')[0]?.message).toMatch(/shared memory/);
    expect(lint(rule, 'process.env')[0]?.message).toMatch(/Node\.js global/);
    expect(lint(rule, '__esmSandboxX')[0]?.message).toMatch(/internals/);
  });

  it('does not report a bare typeof, nor a Node name behind a typeof test of the same name', () => {
    expect(names('const ok = typeof process !== "undefined" && typeof require === "function";')).toEqual([]);
    expect(names('const v = typeof process !== "undefined" && process.version;')).toEqual([]);
    expect(names('const v = typeof exports == "object" && exports && !exports.nodeType && exports;')).toEqual([]);
    expect(names('const m = x && typeof module == "object" && module && module.exports;')).toEqual([]);
    expect(
      names('if (typeof process !== "undefined") { ({ A } = process.env || {}); t = process.stdout && process.stdout.isTTY; }'),
    ).toEqual([]);
    expect(names('const b = typeof Buffer === "undefined" ? null : Buffer.from(x);')).toEqual([]);
    expect(names('const g = typeof globalThis.process !== "undefined" && globalThis.process.env;')).toEqual([]);
  });

  it('reports what the test does not guard: another name, the other branch, `||`, the internals and shared memory', () => {
    expect(names('const t = typeof process.env;')).toEqual(['process']);
    expect(names('const v = typeof module !== "undefined" && exports.x;')).toEqual(['exports']);
    expect(names('const v = typeof process !== "undefined" || process.version;')).toEqual(['process']);
    expect(names('if (typeof require === "function") {} else { require("x"); }')).toEqual(['require']);
    expect(names('const b = typeof Buffer === "undefined" ? Buffer.alloc(1) : 0;')).toEqual(['Buffer']);
    expect(names('typeof SharedArrayBuffer === "function" && new SharedArrayBuffer(1);')).toEqual(['SharedArrayBuffer']);
    expect(names('typeof __esmSandboxGuard === "function" && __esmSandboxGuard(1);')).toEqual(['__esmSandboxGuard']);
  });

  it("in a sandbox with packages: process (the realm's shim) and global (its globalThis) are not reported, calls of what the shim lacks are", () => {
    const packages = { ...env, sandboxGlobals: ['process', 'global', 'self'] };
    const found = (source: string) => lint(rule, source, packages).map((d) => d.message.match(/`([^`]+)`/)?.[1]);
    expect(
      found(
        'const tty = process.stdout && process.stdout.isTTY; const mode = process.env.NODE_ENV; global.x = 1; const { process: p } = globalThis;',
      ),
    ).toEqual([]);
    expect(found('process.exit(1); process.cwd?.(); new process.Thing();')).toEqual(['process.exit', 'process.cwd', 'process.Thing']);
    expect(found('require("x"); Buffer.from("y");')).toEqual(['require', 'Buffer']);
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
      ['catch parameter', 'try {} catch (Buffer) { Buffer.message; }'],
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
      expect(names('try {} catch (Buffer) {} new Buffer("1");')).toEqual(['Buffer']);
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
