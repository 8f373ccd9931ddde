/**
 * Resolution escapes, in a root generated at test time (symbolic links cannot live in git):
 * `..` in every spelling, percent-encoding (single and double), backslashes, null bytes, Unicode
 * look-alike dots, absolute paths, file: and data: URLs (a data: module that re-exports the
 * secret), file and directory symlinks pointing out (and chains of them), case tricks. The
 * secret next to the root exports the canary: if any import succeeds, the scan sees it.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ResolveError } from '../../src/index.js';
import { describeEach } from '../helpers/sandbox.js';
import { CANARY, guardHost } from '../helpers/host.js';
import { call, rejection, root as fixtureRoot } from './support.js';

let base = '';
let rootDir = '';
let secret = '';

beforeAll(() => {
  base = mkdtempSync(path.join(tmpdir(), 'esm-sandbox-resolution-'));
  rootDir = path.join(base, 'root');
  secret = path.join(base, 'secret.mjs');
  mkdirSync(path.join(rootDir, 'sub'), { recursive: true });
  writeFileSync(secret, `// Outside the root: must never load.\nexport default ${JSON.stringify(CANARY)};\n`);
  writeFileSync(path.join(rootDir, 'inside.mjs'), `export default 'inside';\n`);
  cpSync(fileURLToPath(new URL('resolution/attack.mjs', fixtureRoot)), path.join(rootDir, 'attack.mjs'));
  cpSync(fileURLToPath(new URL('probe.mjs', fixtureRoot)), path.join(rootDir, 'probe.mjs'));
  symlinkSync(secret, path.join(rootDir, 'link-out.mjs'));
  symlinkSync(base, path.join(rootDir, 'dir-out'));
  symlinkSync(path.join(rootDir, 'link-out.mjs'), path.join(rootDir, 'link-chain.mjs'));
  symlinkSync('../secret.mjs', path.join(rootDir, 'sub', 'relative-out.mjs'));
  symlinkSync(path.join(rootDir, 'inside.mjs'), path.join(rootDir, 'link-in.mjs'));
});
afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

/** Every way of naming the secret from inside the root. */
function escapes(): string[] {
  const secretUrl = pathToFileURL(secret).href;
  return [
    '../secret.mjs',
    './../secret.mjs',
    './sub/../../secret.mjs',
    'sub/../../secret.mjs',
    '%2e%2e/secret.mjs',
    './%2e%2e/secret.mjs',
    './%2E%2E/secret.mjs',
    './..%2fsecret.mjs',
    './..%2Fsecret.mjs',
    './..%5csecret.mjs',
    '..\\secret.mjs',
    './%252e%252e/secret.mjs',
    './inside.mjs%00/../../secret.mjs',
    './inside.mjs\u0000../secret.mjs',
    './\uff0e\uff0e/secret.mjs',
    './\u2025/secret.mjs',
    './inside.mjs/../../secret.mjs',
    secret,
    `/${secret}`,
    `${path.dirname(secret)}/./secret.mjs`,
    secretUrl,
    secretUrl.replace('file:///', 'file:////'),
    secretUrl.replace('file://', 'file://localhost'),
    `${secretUrl}?x`,
    `${secretUrl}#x`,
    `data:text/javascript,export { default } from ${JSON.stringify(secretUrl)};`,
    `data:text/javascript;base64,${Buffer.from(`export { default } from ${JSON.stringify(secretUrl)};`).toString('base64')}`,
    './link-out.mjs',
    './dir-out/secret.mjs',
    './link-chain.mjs',
    './sub/relative-out.mjs',
    './dir-out/root/../secret.mjs',
    '../ROOT/../secret.mjs',
    '../Secret.mjs',
    './LINK-OUT.mjs',
    'secret',
    'secret.mjs',
    'node:module',
    'blob:nodedata:secret',
  ];
}

describeEach('security: resolution escapes', (kit) => {
  const host = guardHost(kit);

  it('refuses 39 spellings of a file outside the root (.., encodings, backslash, NUL, look-alike dots, absolute, file:, data:, symlinks, case) with sandbox-realm errors', async () => {
    const sandbox = kit.make(host.observe({ root: rootDir, policy: false }));
    const ns = await sandbox.import('./attack.mjs');
    const list = escapes();
    const out = host.seen(await call(ns, 'tryAll', list)) as Record<string, { ok: boolean; ownRealm?: boolean; name?: string }>;
    expect(Object.keys(out)).toHaveLength(list.length);
    for (const specifier of list) {
      expect(out[specifier], specifier).toMatchObject({ ok: false, ownRealm: true });
      expect(['ResolveError', 'ModuleNotAllowedError', 'LoadError'], specifier).toContain(out[specifier]!.name);
    }
  });

  it('still imports inside the root, through a symlink that stays inside (the refusals above are not blanket)', async () => {
    const sandbox = kit.make(host.observe({ root: rootDir, policy: false }));
    const out = host.seen(
      await call(await sandbox.import('./attack.mjs'), 'tryAll', ['./inside.mjs', './link-in.mjs', './sub/../inside.mjs']),
    ) as Record<string, unknown>;
    expect(Object.values(out)).toEqual([
      { ok: true, value: 'inside' },
      { ok: true, value: 'inside' },
      { ok: true, value: 'inside' },
    ]);
  });

  it('refuses the same escapes as entry specifiers from the host', async () => {
    const sandbox = kit.make(host.observe({ root: rootDir, policy: false }));
    for (const specifier of [
      '../secret.mjs',
      './link-out.mjs',
      './dir-out/secret.mjs',
      pathToFileURL(secret).href,
      secret,
      './%2e%2e/secret.mjs',
    ]) {
      const error = host.seen(await rejection(sandbox.import(specifier)));
      expect(['ResolveError', 'ModuleNotAllowedError'], specifier).toContain(error.name);
      if (error.name === 'ResolveError') expect(error).toBeInstanceOf(ResolveError);
    }
    expect(sandbox.disposed).toBe(false);
  });
});
