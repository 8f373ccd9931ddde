/**
 * What the disk cache (disk-cache.ts) trusts and keys on besides content: this build of
 * esm-sandbox and the Node running it, the ownership and mode of what it reads, the secret its
 * packs are authenticated with, a package's manifest, and (transform/typescript.ts) the version of
 * the package that strips TypeScript's types.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';

/**
 * The version of package `name` that `file` belongs to, from the first manifest of that name up to
 * four folders above it (a package's own folders may hold manifests of other names), or 'unknown'.
 */
export function packageVersionOf(file: string, name: string): string {
  for (let dir = path.dirname(file), up = 0; up < 4; dir = path.dirname(dir), up++) {
    const candidate = path.join(dir, 'package.json');
    // Asked first, so that a folder without one costs no thrown error (this runs as a CLI thread starts).
    if (!fs.existsSync(candidate)) continue;
    try {
      const manifest = JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === name) return String(manifest.version);
    } catch {
      // not this directory
    }
  }
  return 'unknown';
}

/** This build of esm-sandbox: its version, and when the file running this was built. */
export const buildId = (() => {
  const self = fileURLToPath(import.meta.url);
  const version = packageVersionOf(self, 'esm-sandbox');
  // A rebuild changes the transform without a new version (under a dev runner, only edits of this file show).
  let built = 0;
  try {
    built = fs.statSync(self).mtimeMs;
  } catch {
    // bundled without a file of its own: the version alone
  }
  return `${version}:${built}:${process.version}:${process.arch}:${process.versions.v8}`;
})();

const uid = process.platform === 'win32' ? undefined : process.getuid?.();

/** Owned by this user and writable by no one else (POSIX; Windows has neither notion here). */
export const ownedAlone = (info: fs.Stats, forbidden: number): boolean =>
  uid === undefined || (info.uid === uid && (info.mode & forbidden) === 0);

/** A package directory's `package.json` text, or nothing. */
export function manifestOf(group: string): string {
  try {
    return fs.readFileSync(path.join(fileURLToPath(group), 'package.json'), 'utf8');
  } catch {
    return '';
  }
}

/**
 * The directory's MAC secret: read, or made once (written to a temporary file and linked into
 * place, so concurrent processes agree on one). It must be this user's alone.
 */
export function secretOf(dir: string): Buffer | undefined {
  const file = path.join(dir, 'key');
  if (!fs.existsSync(file)) makeSecret(file);
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const info = fs.fstatSync(fd);
      if (!info.isFile() || !ownedAlone(info, 0o077) || info.size !== 32) return undefined;
      const secret = Buffer.alloc(32);
      return fs.readSync(fd, secret, 0, 32, 0) === 32 ? secret : undefined;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

function makeSecret(file: string): void {
  try {
    const temp = `${file}.${process.pid}-${threadId}-${randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(temp, randomBytes(32), { mode: 0o600, flag: 'wx' });
    try {
      fs.linkSync(temp, file);
    } catch {
      // another process made it first, or the file system has no hard links: read what is there
    } finally {
      fs.rmSync(temp, { force: true });
    }
  } catch {
    // a read-only directory: no cache
  }
}
