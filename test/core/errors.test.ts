/**
 * Errors are API: one class per kind with a stable `code`, the location (url, line, column, code
 * frame) where one exists, `instanceof` the exported classes in both isolations, and stacks that
 * show the user's files at the right line:column, never esm-sandbox's own machinery. Whatever
 * user code throws becomes a SandboxError without sandbox code ever running on the host.
 */
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { expect, it } from 'vitest';
import {
  DeadlineError,
  DisposedError,
  EsmSandboxError,
  LinkError,
  LoadError,
  MembraneError,
  ModuleNotAllowedError,
  PolicyError,
  ResolveError,
  SandboxError,
  SandboxSyntaxError,
  TimeoutError,
} from '../../src/index.js';
import type { ErrorCode } from '../../src/index.js';
import { describeEach, fixtures, rejection } from '../helpers/sandbox.js';

const root = fixtures('errors');
const url = (file: string) => new URL(file, root).href;
/** 1-based column of `needle` on a fixture line, computed from the file on disk (not hard-coded). */
const columnOf = (file: string, line: number, needle: string) => {
  const text = readFileSync(new URL(file, root), 'utf8').split('\n')[line - 1]!;
  const index = text.indexOf(needle);
  if (index < 0) throw new Error(`${needle} not on ${file}:${line}`);
  return index + 1;
};

/** Nothing of the vm machinery or of esm-sandbox's own files in a stack meant for the user. */
function expectCleanStack(stack: string | undefined): void {
  expect(stack).toBeDefined();
  for (const banned of ['evalmachine', '/src/', '/dist/', 'node:internal', 'node:vm', 'esm-sandbox:', 'node_modules']) {
    expect(stack).not.toContain(banned);
  }
}

type ErrorClass = abstract new (...args: never[]) => Error;

function expectKind(error: Error, Class: ErrorClass, code: ErrorCode): void {
  expect(error).toBeInstanceOf(Class);
  expect(error).toBeInstanceOf(EsmSandboxError);
  expect(error).toBeInstanceOf(Error);
  expect(error.name).toBe(Class.name);
  expect((error as EsmSandboxError).code).toBe(code);
  expectCleanStack(error.stack);
  expect(error.stack!.startsWith(`${Class.name} [${code}]: `)).toBe(true);
}

function expectLocation(error: Error, file: string, line: number, column: number, lineText: string): void {
  expect(error).toMatchObject({ url: url(file), line, column });
  const frame = (error as EsmSandboxError).frame!;
  expect(frame).toContain(`> ${line} | ${lineText}`);
  // The caret sits under the column.
  const rows = frame.split('\n');
  const caretRow = rows[rows.findIndex((row) => row.startsWith(`> ${line} |`)) + 1]!;
  const gutter = `> ${line} | `.length;
  expect(caretRow.indexOf('^') - gutter).toBe(column - 1);
  expect(error.stack).toContain(frame);
  expect(error.stack).toContain(`${url(file)}:${line}:${column}`);
}

describeEach('errors', ({ make }) => {
  it('SandboxSyntaxError: bad syntax, with its location and a code frame', async () => {
    const error = await rejection(make({ root }).import('./syntax.mjs'));
    expectKind(error, SandboxSyntaxError, 'ERR_SANDBOX_SYNTAX');
    expectLocation(error, 'syntax.mjs', 3, 20, 'export const bad = ;');
  });

  it('ModuleNotAllowedError: an import outside the allow-list names specifier, importer and place', async () => {
    // With the policy on, its no-disallowed-import rule refuses first (PolicyError, next test);
    // without it the resolver is what holds, and says so itself.
    const error = await rejection(make({ root, policy: false }).import('./not-allowed.mjs'));
    expectKind(error, ModuleNotAllowedError, 'ERR_SANDBOX_MODULE_NOT_ALLOWED');
    expect(error).toMatchObject({ specifier: 'node:fs', referrer: url('not-allowed.mjs') });
    expect(error.message).toContain('"node:fs"');
    expectLocation(error, 'not-allowed.mjs', 2, 16, "import fs from 'node:fs';");
  });

  it('ModuleNotAllowedError: import() of a refused specifier comes back out as itself', async () => {
    const error = await rejection(make({ root, policy: false }).import('./dynamic-not-allowed.mjs'));
    expectKind(error, ModuleNotAllowedError, 'ERR_SANDBOX_MODULE_NOT_ALLOWED');
    expect(error).toMatchObject({ specifier: 'node:fs' });
  });

  it('PolicyError: the rule, the location and every finding', async () => {
    const error = await rejection<PolicyError>(make({ root }).import('./policy.mjs'));
    expectKind(error, PolicyError, 'ERR_SANDBOX_POLICY');
    const line = "export const escape = x.constructor.constructor('return process');";
    expectLocation(error, 'policy.mjs', 3, columnOf('policy.mjs', 3, 'constructor('), line);
    expect(error.diagnostics.map((d) => d.ruleId)).toContain('no-constructor-chain');
    const notAllowed = await rejection(make({ root }).import('./not-allowed.mjs'));
    expectKind(notAllowed, PolicyError, 'ERR_SANDBOX_POLICY');
    expect(notAllowed.message).toContain('node:fs');
  });

  it('ResolveError: a missing file, named with its importer and place', async () => {
    const error = await rejection(make({ root }).import('./missing.mjs'));
    expectKind(error, ResolveError, 'ERR_SANDBOX_RESOLVE');
    expect(error).toMatchObject({ specifier: './does-not-exist.mjs', referrer: url('missing.mjs') });
    expectLocation(error, 'missing.mjs', 2, 23, "export { value } from './does-not-exist.mjs';");
    const entry = await rejection(make({ root }).import('./nowhere.mjs'));
    expectKind(entry, ResolveError, 'ERR_SANDBOX_RESOLVE');
  });

  it('LoadError: a JSON module without its import attribute', async () => {
    const error = await rejection(make({ root }).import('./load-attributes.mjs'));
    expectKind(error, LoadError, 'ERR_SANDBOX_LOAD');
    expectLocation(error, 'load-attributes.mjs', 2, 18, "import data from './data.json';");
  });

  it('LoadError: a binary file and a JSON file that does not parse name the file', async () => {
    const binary = await rejection(make({ root }).import('./binary.mjs'));
    expectKind(binary, LoadError, 'ERR_SANDBOX_LOAD');
    expect(binary).toMatchObject({ url: url('binary.mjs') });
    expect(binary.message).toContain('binary');
    const json = await rejection(make({ root }).import('./bad-json.mjs'));
    expectKind(json, LoadError, 'ERR_SANDBOX_LOAD');
    expect(json).toMatchObject({ url: url('bad.json') });
  });

  it('LinkError: an imported name that does not exist', async () => {
    const error = await rejection(make({ root }).import('./link.mjs'));
    expectKind(error, LinkError, 'ERR_SANDBOX_LINK');
    expect(error.message).toContain("'absent'");
    // At the missing name itself.
    expectLocation(error, 'link.mjs', 2, columnOf('link.mjs', 2, 'absent'), "import { present, absent } from './one-export.mjs';");
  });

  it('MembraneError: an export that cannot cross (a Proxy)', async () => {
    const error = await rejection(make({ root }).import('./proxy-export.mjs'));
    expectKind(error, MembraneError, 'ERR_SANDBOX_MEMBRANE');
    expect(error).toMatchObject({ path: 'trap' });
  });

  it('TimeoutError, DeadlineError and DisposedError', async () => {
    const looping = make({ root, timeout: 100 });
    const timeout = await rejection(looping.evaluate('for (;;);', { filename: 'loop.mjs' }));
    expectKind(timeout, TimeoutError, 'ERR_SANDBOX_TIMEOUT');
    expect(timeout).toMatchObject({ timeout: 100 });
    expectKind(await rejection(looping.evaluate('export default 1')), DisposedError, 'ERR_SANDBOX_DISPOSED');
    const waiting = make({ root, deadline: 100 });
    const deadline = await rejection(waiting.evaluate('await new Promise(() => {});', { filename: 'wait.mjs' }));
    expectKind(deadline, DeadlineError, 'ERR_SANDBOX_DEADLINE');
    expect(deadline).toMatchObject({ deadline: 100 });
  });

  it('SandboxError: a throw deep in a 3-module chain, with catch clauses on the lines, has exact frames', async () => {
    const sandbox = make({ root });
    const ns = await sandbox.import<{ top: (n: number) => Promise<number> }>('./chain-a.mjs');
    const error = (await rejection(ns.top(2))) as SandboxError;
    expectKind(error, SandboxError, 'ERR_SANDBOX_THROWN');
    expect(error.sandboxName).toBe('RangeError');
    expect(error.message).toContain("RangeError: too deep: 3, Cannot read properties of null (reading 'f')");
    const throwLine = readFileSync(new URL('chain-c.mjs', root), 'utf8').split('\n')[2]!;
    expectLocation(error, 'chain-c.mjs', 3, columnOf('chain-c.mjs', 3, 'new RangeError'), throwLine);
    const frames = error.stack!.split('\n').filter((row) => row.startsWith('    at '));
    expect(frames).toEqual([
      `    at deepest (${url('chain-c.mjs')}:3:${columnOf('chain-c.mjs', 3, 'new RangeError')})`,
      `    at middle (${url('chain-b.mjs')}:3:${columnOf('chain-b.mjs', 3, 'deepest(')})`,
      `    at top (${url('chain-a.mjs')}:3:${columnOf('chain-a.mjs', 3, 'middle(')})`,
    ]);
    // What was thrown, as a host copy.
    expect(error.thrown).toBeInstanceOf(Error);
    expect(Object.getPrototypeOf(error.thrown)).not.toBe(null);
    expect((error.thrown as Error).message).toBe(error.message.slice('RangeError: '.length, error.message.indexOf(' (file:')));
  });

  it('SandboxError: the same chain thrown during evaluation ends at the importing module', async () => {
    const error = (await rejection(make({ root }).import('./chain-entry.mjs'))) as SandboxError;
    expectKind(error, SandboxError, 'ERR_SANDBOX_THROWN');
    const frames = error.stack!.split('\n').filter((row) => row.startsWith('    at '));
    expect(frames).toEqual([
      `    at deepest (${url('chain-c.mjs')}:3:${columnOf('chain-c.mjs', 3, 'new RangeError')})`,
      `    at middle (${url('chain-b.mjs')}:3:${columnOf('chain-b.mjs', 3, 'deepest(')})`,
      `    at top (${url('chain-a.mjs')}:3:${columnOf('chain-a.mjs', 3, 'middle(')})`,
      `    at ${url('chain-entry.mjs')}:3:${columnOf('chain-entry.mjs', 3, 'top(1)')}`,
    ]);
  });

  it('SandboxError: an async chain called from the host keeps its awaiting frames', async () => {
    const ns = await make({ root }).import<{ start: (n: number) => Promise<void> }>('./async-chain.mjs');
    const error = (await rejection(ns.start(1))) as SandboxError;
    expectKind(error, SandboxError, 'ERR_SANDBOX_THROWN');
    expect(error.sandboxName).toBe('TypeError');
    const frames = error.stack!.split('\n').filter((row) => row.startsWith('    at '));
    // Host frames under the turn count against Error.stackTraceLimit: these went missing at 10.
    // Awaiting frames carry Node's "async" marker.
    expect(frames).toEqual([
      `    at inner (${url('async-chain.mjs')}:3:${columnOf('async-chain.mjs', 3, 'new TypeError')})`,
      `    at async outer (${url('async-chain.mjs')}:6:${columnOf('async-chain.mjs', 6, 'await inner')})`,
      `    at async start (${url('async-chain.mjs')}:9:${columnOf('async-chain.mjs', 9, 'await outer')})`,
    ]);
  });

  it('SandboxError: evaluate() source is named by its filename, with the code frame from that source', async () => {
    const source = "export const a = 1;\ntry { void a; } catch (e) { void e; } throw new SyntaxError('virtual');\n";
    const error = (await rejection(make({ root }).evaluate(source, { filename: 'virtual/entry.mjs' }))) as SandboxError;
    expectKind(error, SandboxError, 'ERR_SANDBOX_THROWN');
    expect(error.sandboxName).toBe('SyntaxError');
    const column = source.split('\n')[1]!.indexOf('new SyntaxError') + 1;
    expect(error).toMatchObject({ url: url('virtual/entry.mjs'), line: 2, column });
    expect(error.frame).toContain("> 2 | try { void a; } catch (e) { void e; } throw new SyntaxError('virtual');");
    expect(error.stack).toContain(`    at ${url('virtual/entry.mjs')}:2:${column}`);
  });

  it('non-Error throws become SandboxErrors: a number, an object, a rejection with a number', async () => {
    const sandbox = make({ root });
    const ns = await sandbox.import<Record<string, () => Promise<unknown>>>('./throws.mjs');
    const number = (await rejection(ns.number!())) as SandboxError;
    expectKind(number, SandboxError, 'ERR_SANDBOX_THROWN');
    expect(number).toMatchObject({ sandboxName: 'number', thrown: 42, message: 'number: 42' });
    const object = (await rejection(ns.object!())) as SandboxError;
    expectKind(object, SandboxError, 'ERR_SANDBOX_THROWN');
    expect(object.sandboxName).toBe('object');
    expect(object.thrown).toEqual({ a: 1, nested: { b: [2] } });
    expect(object.message).toContain('a: 1');
    const rejected = (await rejection(ns.rejectsWithNumber!())) as SandboxError;
    expectKind(rejected, SandboxError, 'ERR_SANDBOX_THROWN');
    expect(rejected).toMatchObject({ sandboxName: 'number', thrown: 7 });
    const topLevel = await rejection(sandbox.import('./throw-number.mjs'));
    expectKind(topLevel, SandboxError, 'ERR_SANDBOX_THROWN');
    expect(topLevel).toMatchObject({ sandboxName: 'number', thrown: 42 });
  });

  it('a getter `message` runs inside the turn only, never when the host reads the error', async () => {
    const sandbox = make({ root });
    const ns = await sandbox.import<{ getterMessage: () => Promise<void>; counts: () => Promise<{ getterCalls: number }> }>('./throws.mjs');
    const error = (await rejection(ns.getterMessage())) as SandboxError;
    expectKind(error, SandboxError, 'ERR_SANDBOX_THROWN');
    expect(error.message).toContain('Error: from a getter');
    expect(error).toMatchObject({ url: url('throws.mjs'), line: 9 });
    const before = (await ns.counts()).getterCalls;
    expect(before).toBeGreaterThan(0); // it did run: inside the turn
    // Everything a host might do with the error.
    void [error.message, error.stack, String(error), inspect(error, { depth: 5, showHidden: true }), JSON.stringify(error)];
    void inspect(error.thrown, { showHidden: true, getters: true });
    expect((await ns.counts()).getterCalls).toBe(before);
  });

  it('an error whose `name` is a Symbol becomes a SandboxError without crashing', async () => {
    const sandbox = make({ root });
    const ns = await sandbox.import<{ symbolName: () => Promise<void> }>('./throws.mjs');
    const error = (await rejection(ns.symbolName())) as SandboxError;
    expectKind(error, SandboxError, 'ERR_SANDBOX_THROWN');
    expect(typeof error.sandboxName).toBe('string');
    expect(error.message).toContain('named by a symbol');
    expect(error).toMatchObject({ url: url('throws.mjs'), line: 14 });
    void [String(error), inspect(error, { showHidden: true })];
    expect((await sandbox.evaluate('export default 3')).default).toBe(3);
  });

  it('a thrown Proxy becomes a SandboxError; its traps never run on the host', async () => {
    const sandbox = make({ root });
    const ns = await sandbox.import<{ proxy: () => Promise<void>; counts: () => Promise<{ trapCalls: number }> }>('./throws.mjs');
    const error = (await rejection(ns.proxy())) as SandboxError;
    expectKind(error, SandboxError, 'ERR_SANDBOX_THROWN');
    expect(typeof error.thrown).not.toBe('function');
    expect(error.thrown === null || typeof error.thrown !== 'object' || Object.getPrototypeOf(error.thrown) !== null).toBe(true);
    const before = (await ns.counts()).trapCalls;
    void [
      error.message,
      error.stack,
      String(error),
      inspect(error, { depth: 5, showHidden: true }),
      inspect(error.thrown, { showHidden: true }),
    ];
    expect((await ns.counts()).trapCalls).toBe(before);
    expect(sandbox.disposed).toBe(false);
  });

  it('a thrown Proxy whose traps throw still becomes a SandboxError', async () => {
    const ns = await make({ root }).import<{ throwingTraps: () => Promise<void> }>('./throws.mjs');
    const error = (await rejection(ns.throwingTraps())) as SandboxError;
    expectKind(error, SandboxError, 'ERR_SANDBOX_THROWN');
    expect(typeof error.sandboxName).toBe('string');
  });

  it('a `message` getter that never returns is cut off by the timeout, inside the turn', async () => {
    const sandbox = make({ root, timeout: 100 });
    const ns = await sandbox.import<{ loopingGetter: () => Promise<void> }>('./throws.mjs');
    const started = performance.now();
    const error = await rejection(ns.loopingGetter());
    expectKind(error, TimeoutError, 'ERR_SANDBOX_TIMEOUT');
    expect(performance.now() - started).toBeLessThan(4_000);
    expect(sandbox.disposed).toBe(true);
  });
});
