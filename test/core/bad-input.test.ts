/**
 * Bad input from disk (fixtures/bad/), in both isolations: each fails with a typed error that says
 * what and where, never crashes or hangs the host, and the same sandbox keeps working afterwards.
 * Generated inputs (10 MB, 1,000 modules, deep chains) are in bad-input-generated.test.ts.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { LinkError, LoadError, ResolveError, SandboxSyntaxError } from '../../src/index.js';
import type { Sandbox } from '../../src/index.js';
import { describeEach, fixtures, rejection } from '../helpers/sandbox.js';

const root = fixtures('bad');
const rootPath = realpathSync(fileURLToPath(root));
const urlOf = (file: string) => pathToFileURL(`${rootPath}/${file}`).href;

/** The sandbox that just refused bad input still loads and runs a good graph. */
async function stillWorks(sandbox: Sandbox): Promise<void> {
  expect(sandbox.disposed).toBe(false);
  const ns = await sandbox.import('./good.mjs');
  expect(ns.status).toBe('still working: here');
  expect((await sandbox.evaluate('export default 6 * 7;')).default).toBe(42);
}

describeEach('bad input on disk', ({ make }) => {
  it('a syntax error: SandboxSyntaxError with code, url, line, column and a code frame', async () => {
    const sandbox = make({ root });
    const error = await rejection(sandbox.import('./syntax.mjs'));
    expect(error).toBeInstanceOf(SandboxSyntaxError);
    expect(error.name).toBe('SandboxSyntaxError');
    expect(error).toMatchObject({ code: 'ERR_SANDBOX_SYNTAX', url: urlOf('syntax.mjs'), line: 4, column: 3 });
    expect(error.message).toContain("Unexpected keyword 'return'");
    expect(error.message).toContain(`${urlOf('syntax.mjs')}:4:3`);
    expect(error.frame).toContain('> 4 |   return ok;');
    // The caret sits under column 3 of line 4.
    const lines = (error.frame as string).split('\n');
    const marked = lines.findIndex((l) => l.startsWith('> 4 |'));
    expect(lines[marked + 1]!.indexOf('^')).toBe(lines[marked]!.indexOf('return'));
    expect(error.stack).not.toContain('evalmachine');
    await stillWorks(sandbox);
  });

  it('syntax only the engine refuses (acorn accepts it) is a SandboxSyntaxError naming the file', async () => {
    const sandbox = make({ root });
    // V8 12.5+ (Node 23+; not Node 22's 12.4) has duplicate named groups: feature-detect it.
    let duplicateGroups = true;
    try {
      new RegExp('(?<a>x)|(?<a>y)');
    } catch {
      duplicateGroups = false;
    }
    if (duplicateGroups) {
      expect((await sandbox.import('./engine-syntax.mjs')).default).toBe('compiled');
      return;
    }
    const error = await rejection(sandbox.import('./engine-syntax.mjs'));
    expect(error).toBeInstanceOf(SandboxSyntaxError);
    expect(error.code).toBe('ERR_SANDBOX_SYNTAX');
    expect(error.url).toBe(urlOf('engine-syntax.mjs'));
    expect(error.message).toContain('Duplicate capture group name');
    expect((await sandbox.import('./good.mjs')).status).toBe('still working: here');
  });

  it('a syntax error in a dependency points at the dependency, not the importer', async () => {
    const sandbox = make({ root });
    const error = await rejection(sandbox.import('./imports-syntax.mjs'));
    expect(error).toBeInstanceOf(SandboxSyntaxError);
    expect(error).toMatchObject({ code: 'ERR_SANDBOX_SYNTAX', url: urlOf('syntax.mjs'), line: 4, column: 3 });
    await stillWorks(sandbox);
  });

  it('a syntax error in evaluate() source names the virtual file', async () => {
    const sandbox = make({ root });
    const error = await rejection(sandbox.evaluate('export const a = 1;\nconst = 2;\n', { filename: 'virtual.mjs' }));
    expect(error).toBeInstanceOf(SandboxSyntaxError);
    expect(error).toMatchObject({ code: 'ERR_SANDBOX_SYNTAX', url: urlOf('virtual.mjs'), line: 2, column: 7 });
    expect(error.frame).toContain('> 2 | const = 2;');
    await stillWorks(sandbox);
  });

  it('a missing file, as the entry and as an import', async () => {
    const sandbox = make({ root });
    const entry = await rejection(sandbox.import('./does-not-exist.mjs'));
    expect(entry).toBeInstanceOf(ResolveError);
    expect(entry).toMatchObject({ code: 'ERR_SANDBOX_RESOLVE', specifier: './does-not-exist.mjs' });
    expect(entry.message).toContain('no such file');
    const imported = await rejection(sandbox.import('./missing-file.mjs'));
    expect(imported).toBeInstanceOf(ResolveError);
    expect(imported).toMatchObject({
      code: 'ERR_SANDBOX_RESOLVE',
      specifier: './does-not-exist.mjs',
      url: urlOf('missing-file.mjs'),
      line: 2,
      column: 23,
    });
    expect(imported.message).toContain(`${urlOf('missing-file.mjs')}:2:23: no such file`);
    expect(imported.frame).toContain("> 2 | import { ghost } from './does-not-exist.mjs';");
    await stillWorks(sandbox);
  });

  it('a directory, as the entry and as an import', async () => {
    const sandbox = make({ root });
    const entry = await rejection(sandbox.import('./a-directory'));
    expect(entry).toBeInstanceOf(ResolveError);
    expect(entry.message).toContain('it is a directory');
    const imported = await rejection(sandbox.import('./directory.mjs'));
    expect(imported).toBeInstanceOf(ResolveError);
    expect(imported).toMatchObject({ specifier: './a-directory', url: urlOf('directory.mjs'), line: 1, column: 19 });
    expect(imported.message).toContain('it is a directory');
    await stillWorks(sandbox);
  });

  it('a binary file, as the entry and as an import', async () => {
    const sandbox = make({ root });
    for (const entry of ['./binary.mjs', './imports-binary.mjs']) {
      const error = await rejection(sandbox.import(entry));
      expect(error).toBeInstanceOf(LoadError);
      expect(error).toMatchObject({ code: 'ERR_SANDBOX_LOAD', url: urlOf('binary.mjs') });
      expect(error.message).toContain('is a binary file, not a module');
    }
    // Imported: the message also says which import asked for it.
    const imported = await rejection(sandbox.import('./imports-binary.mjs'));
    expect(imported.message).toContain(`imported at ${urlOf('imports-binary.mjs')}:1:19`);
    await stillWorks(sandbox);
  });

  it('invalid UTF-8', async () => {
    const sandbox = make({ root });
    const error = await rejection(sandbox.import('./latin1.mjs'));
    expect(error).toBeInstanceOf(LoadError);
    expect(error).toMatchObject({ code: 'ERR_SANDBOX_LOAD', url: urlOf('latin1.mjs') });
    expect(error.message).toContain('is not valid UTF-8 text');
    await stillWorks(sandbox);
  });

  it('an empty file and a file with only a BOM are modules without exports; a BOM before code is dropped', async () => {
    const sandbox = make({ root });
    expect(Object.keys(await sandbox.import('./empty.mjs'))).toEqual([]);
    expect(Object.keys(await sandbox.import('./bom-only.mjs'))).toEqual([]);
    expect(await sandbox.import('./bom-code.mjs')).toEqual({ afterBom: 'ok' });
    expect(await sandbox.import('./imports-empty.mjs')).toEqual({ keys: [] });
    await stillWorks(sandbox);
  });

  it('a missing export: LinkError naming the name and the importing file:line:col of that name', async () => {
    const sandbox = make({ root });
    const error = await rejection(sandbox.import('./missing-export.mjs'));
    expect(error).toBeInstanceOf(LinkError);
    expect(error).toMatchObject({ code: 'ERR_SANDBOX_LINK', url: urlOf('missing-export.mjs'), line: 2, column: 19 });
    expect(error.message).toContain("does not provide an export named 'absent'");
    expect(error.message).toContain(`${urlOf('missing-export.mjs')}:2:19`);
    expect(error.frame).toContain("> 2 | import { present, absent } from './lib.mjs';");
    await stillWorks(sandbox);
    // The failed graph was dropped, not half kept: the same entry fails the same way again.
    const again = await rejection(sandbox.import('./missing-export.mjs'));
    expect(again).toBeInstanceOf(LinkError);
  });

  it('a missing re-export is located at the re-exported name', async () => {
    const sandbox = make({ root });
    const error = await rejection(sandbox.import('./missing-reexport.mjs'));
    expect(error).toBeInstanceOf(LinkError);
    expect(error).toMatchObject({ url: urlOf('missing-reexport.mjs'), line: 2, column: 10 });
    expect(error.message).toContain("'phantom'");
    await stillWorks(sandbox);
  });

  it('with two importers of the same specifier, the LinkError names the one that asked for the missing name', async () => {
    const sandbox = make({ root });
    const error = await rejection(sandbox.import('./two-importers.mjs'));
    expect(error).toBeInstanceOf(LinkError);
    expect(error).toMatchObject({ url: urlOf('importers/bad-user.mjs'), line: 3, column: 3 });
    expect(error.message).toContain("'absent'");
    expect(error.frame).toContain('> 3 |   absent as renamed,');
    await stillWorks(sandbox);
  });

  it('invalid JSON: LoadError with the line and column of the fault', async () => {
    const sandbox = make({ root });
    for (const entry of ['./broken.json', './imports-broken-json.mjs']) {
      const error = await rejection(sandbox.import(entry));
      expect(error).toBeInstanceOf(LoadError);
      expect(error).toMatchObject({ code: 'ERR_SANDBOX_LOAD', url: urlOf('broken.json'), line: 1, column: 21 });
      expect(error.message).toContain('is not valid JSON');
    }
    const imported = await rejection(sandbox.import('./imports-broken-json.mjs'));
    expect(imported.message).toContain(`imported at ${urlOf('imports-broken-json.mjs')}:1:18`);
    await stillWorks(sandbox);
  });

  it('a new sandbox works after another one refused bad input', async () => {
    const first = make({ root });
    await rejection(first.import('./syntax.mjs'));
    await rejection(first.import('./binary.mjs'));
    await stillWorks(make({ root }));
  });
});
