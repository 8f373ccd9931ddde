/**
 * vm2 CVE-2023-29199: exception sanitization skipped for some catch bindings. Every catch shape
 * (identifier, object/array/nested/computed patterns, defaults, rest; in arrows, generators and
 * async functions) sees only sandbox-realm values, host errors and stack overflows inside host
 * frames included; and no module may name (or shadow) the guard's reserved identifiers, even
 * spelled with Unicode escapes.
 */
import { expect, it } from 'vitest';
import { SandboxSyntaxError } from '../../src/index.js';
import { describeEach } from '../helpers/sandbox.js';
import { guardHost } from '../helpers/host.js';
import { call, expectAllBlocked, expectAllOwn, hostApi, rejection, root } from './support.js';

const file = './catch-guard.mjs';

describeEach('security: the catch guard', (kit) => {
  const host = guardHost(kit);
  const make = (extra = {}) => kit.make(host.observe({ root, policy: false, modules: { 'host:api': hostApi() }, ...extra }));

  it('CVE-2023-29199: every catch binding shape receives sandbox-realm errors from host code', async () => {
    const out = host.seen(await call(await make().import(file), 'shapes')) as Record<string, unknown>;
    expect(Object.keys(out).sort()).toEqual([
      'arrayPattern',
      'arrow',
      'computedKey',
      'generator',
      'identifier',
      'nestedPattern',
      'objectPattern',
      'rest',
      'withDefault',
    ]);
    expectAllOwn(out);
    expectAllBlocked(out, 9, ['EvalError']);
  });

  it('CVE-2023-29199: catch after await and in async functions', async () => {
    const out = host.seen(await call(await make().import(file), 'asyncShapes'));
    expectAllBlocked(out, 2, ['EvalError']);
  });

  it('CVE-2023-29199 shape: a stack overflow inside a host frame, caught by identifier and by pattern', async () => {
    const out = host.seen(await call(await make({ timeout: 20_000 }).import(file), 'overflowShapes')) as Record<string, unknown>;
    expect(out).toMatchObject({ identifier: { name: 'RangeError' }, pattern: { name: 'RangeError' } });
    expectAllOwn(out);
    expectAllBlocked(out, 2, ['EvalError', 'TypeError']);
  });

  it.each([
    ['a catch binding', 'try { x(); } catch (__esmSandboxCaught) { }'],
    ['a shadowing declaration', 'const __esmSandboxGuard = (e) => e;'],
    ['a Unicode-escaped name', 'let \\u005f_esmSandboxGuard = 1;'],
    ['a function parameter', 'export function f(__esmSandboxTurn) { return __esmSandboxTurn; }'],
    ['an import alias', "import { fn as __esmSandboxGuard } from 'host:api';"],
  ])('refuses %s with a reserved name at load, with a SandboxSyntaxError', async (_label, source) => {
    const error = host.seen(await rejection(make().evaluate(source)));
    expect(error).toBeInstanceOf(SandboxSyntaxError);
    expect(String(error.message)).toMatch(/reserved for esm-sandbox/);
  });
});
