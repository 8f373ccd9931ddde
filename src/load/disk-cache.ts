/**
 * The analysis cache on disk (`SandboxOptions.cacheDir`): what the load step learnt of a file
 * (the transformed code, its imports, the policy's findings) and V8's code cache for it, kept
 * across processes so that a new process skips parse, analysis, transform and policy for an
 * unchanged file, and compiles it from the code cache.
 *
 * One file per entry, named by its key: a SHA-256 of the content hash, the module URL (findings
 * carry it and positions, and the policy's environment depends on where the file is), the metered
 * flag, the policy fingerprint, this build of esm-sandbox and the Node that runs it. An entry is
 * `header | JSON | code cache`; the header echoes the key and both lengths and ends in an
 * HMAC-SHA256 of everything else under a secret kept in the directory (`key`, 0600). Nothing that
 * fails to verify is used: a miss, and the next write replaces it.
 *
 * The directory is a trust boundary (SECURITY.md): entries hold code that is compiled as is.
 * It must be this user's and writable by no one else; entries owned by someone else, or writable
 * by group or others, are ignored. Any failure to open, read or write is a miss, never an error.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import type { ImportSite } from '../analyze/analyze.js';
import type { Diagnostic } from '../errors/diagnostic.js';

/** What an entry holds: the analysis of one file as load-graph.ts uses it, and the policy's findings. */
export interface StoredAnalysis {
  code: string;
  edits: string;
  imports: ImportSite[];
  topLevelAwait: boolean;
  straightLine: boolean;
  findings: Diagnostic[];
  codeCache: Buffer | undefined;
}

/** Size bound of a cache directory: past it, the least recently used entries go. */
export const DEFAULT_CACHE_MAX_BYTES = 64 * 1024 * 1024;

const MAGIC = Buffer.from('ESMSBXC\n', 'latin1');
/** Bumped whenever what an entry means changes; older entries then miss (their key differs too). */
const FORMAT = 1;
const KEY_BYTES = 32;
const MAC_BYTES = 32;
// magic | format u32 | key | JSON length u32 | code cache length u32 | MAC
const MAC_AT = MAGIC.length + 4 + KEY_BYTES + 4 + 4;
const HEADER_BYTES = MAC_AT + MAC_BYTES;
/** Larger entries are not read (a module is at most maxModuleBytes, default 16 MiB; its code cache less). */
const MAX_ENTRY_BYTES = 128 * 1024 * 1024;
const ENTRY_NAME = /^[0-9a-f]{64}$/;
/** A hit refreshes the entry's mtime (its recency for eviction) at most this often. */
const TOUCH_AFTER_MS = 60 * 60 * 1000;
/** A sweep leaves this share of the bound, so the next few writes do not sweep again. */
const SWEEP_TO = 0.8;

const stats = { hits: 0, misses: 0, ignored: 0, writes: 0, evicted: 0 };

/**
 * Counters of this thread's disk cache use since it started: `hits` (entries used), `misses` (no
 * entry), `ignored` (an entry that did not verify), `writes`, `evicted`. For tests and benches.
 */
export const diskCacheStats = (): Readonly<typeof stats> => ({ ...stats });

/** This build of esm-sandbox: its version, and when the file running this was built. */
const buildId = (() => {
  const self = fileURLToPath(import.meta.url);
  let version = 'unknown';
  for (let dir = path.dirname(self), up = 0; up < 4; dir = path.dirname(dir), up++) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === 'esm-sandbox') {
        version = String(manifest.version);
        break;
      }
    } catch {
      // not this directory
    }
  }
  // A rebuild (or an edited source file under a dev runner) changes the transform without a new version.
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
const ownedAlone = (info: fs.Stats, forbidden: number): boolean => uid === undefined || (info.uid === uid && (info.mode & forbidden) === 0);

const opened = new Map<string, DiskCache | null>();

/** The cache in `dir` (created 0700 if missing), or undefined when it cannot be used safely. */
export function openDiskCache(dir: string | undefined, maxBytes = DEFAULT_CACHE_MAX_BYTES): DiskCache | undefined {
  if (dir === undefined) return undefined;
  const memo = `${dir}\0${maxBytes}`;
  let cache = opened.get(memo);
  if (cache === undefined) {
    cache = DiskCache.open(dir, maxBytes) ?? null;
    opened.set(memo, cache);
  }
  return cache ?? undefined;
}

export class DiskCache {
  private written = 0;
  private sweepPlanned = false;

  private constructor(
    readonly dir: string,
    private readonly secret: Buffer,
    private readonly maxBytes: number,
  ) {}

  static open(dir: string, maxBytes: number): DiskCache | undefined {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const info = fs.lstatSync(dir);
      if (!info.isDirectory() || !ownedAlone(info, 0o022)) return undefined;
      const secret = secretOf(dir);
      return secret === undefined ? undefined : new DiskCache(dir, secret, maxBytes);
    } catch {
      return undefined;
    }
  }

  keyOf(hash: string, url: string, metered: boolean, fingerprint: string): Buffer {
    return createHash('sha256').update(`${FORMAT}\0${buildId}\0${hash}\0${url}\0${metered}\0${fingerprint}`).digest();
  }

  /** The entry under `key`, verified and bound to this content and URL; undefined on any doubt. */
  read(key: Buffer, hash: string, url: string): StoredAnalysis | undefined {
    const file = path.join(this.dir, key.toString('hex'));
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch {
      stats.misses++;
      return undefined;
    }
    try {
      const info = fs.fstatSync(fd);
      if (!info.isFile() || !ownedAlone(info, 0o022) || info.size < HEADER_BYTES || info.size > MAX_ENTRY_BYTES) return ignored();
      const bytes = Buffer.allocUnsafe(info.size);
      for (let at = 0; at < bytes.length;) {
        const got = fs.readSync(fd, bytes, at, bytes.length - at, at);
        if (got === 0) return ignored();
        at += got;
      }
      const stored = this.decode(bytes, key, hash, url);
      if (stored === undefined) return ignored();
      const now = Date.now();
      if (now - info.mtimeMs > TOUCH_AFTER_MS) fs.futimesSync(fd, now / 1000, now / 1000);
      stats.hits++;
      return stored;
    } catch {
      return ignored();
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Store `stored` under `key`, atomically (a temporary file renamed over the entry). */
  write(key: Buffer, hash: string, url: string, stored: StoredAnalysis): void {
    const file = path.join(this.dir, key.toString('hex'));
    const temp = `${file}.${process.pid}-${threadId}-${randomBytes(4).toString('hex')}.tmp`;
    try {
      const { code, edits, imports, topLevelAwait, straightLine, findings, codeCache } = stored;
      const json = Buffer.from(JSON.stringify({ hash, url, code, edits, imports, topLevelAwait, straightLine, findings }));
      const cache = codeCache ?? Buffer.alloc(0);
      const header = Buffer.alloc(HEADER_BYTES);
      MAGIC.copy(header, 0);
      header.writeUInt32LE(FORMAT, MAGIC.length);
      key.copy(header, MAGIC.length + 4);
      header.writeUInt32LE(json.length, MAGIC.length + 4 + KEY_BYTES);
      header.writeUInt32LE(cache.length, MAGIC.length + 8 + KEY_BYTES);
      this.mac(header, json, cache).copy(header, MAC_AT);
      fs.writeFileSync(temp, Buffer.concat([header, json, cache]), { mode: 0o600, flag: 'wx' });
      fs.renameSync(temp, file);
      stats.writes++;
      this.written += HEADER_BYTES + json.length + cache.length;
      this.planSweep();
    } catch {
      fs.rmSync(temp, { force: true });
    }
  }

  /**
   * Evict least recently used entries (by mtime, which a hit refreshes) until the directory holds
   * at most 80% of its bound; temporary files a crashed writer left are removed too.
   */
  async sweep(): Promise<void> {
    const names = await fs.promises.readdir(this.dir);
    const now = Date.now();
    const entries = await Promise.all(
      names.map(async (name) => {
        const full = path.join(this.dir, name);
        const info = await fs.promises.lstat(full).catch(() => undefined);
        if (info === undefined || !info.isFile()) return undefined;
        if (name.endsWith('.tmp')) {
          if (now - info.mtimeMs > 60_000) await fs.promises.rm(full, { force: true });
          return undefined;
        }
        return ENTRY_NAME.test(name) ? { full, size: info.size, used: info.mtimeMs } : undefined;
      }),
    );
    const present = entries.filter((entry) => entry !== undefined);
    let total = present.reduce((sum, entry) => sum + entry.size, 0);
    if (total <= this.maxBytes) return;
    present.sort((a, b) => a.used - b.used);
    for (const entry of present) {
      if (total <= this.maxBytes * SWEEP_TO) break;
      await fs.promises.rm(entry.full, { force: true });
      total -= entry.size;
      stats.evicted++;
    }
  }

  /**
   * After this process's first write, once: a timer that does not keep the process alive, or the
   * moment the process would exit (a short CLI run never reaches the timer).
   */
  private planSweep(): void {
    if (this.sweepPlanned) return;
    this.sweepPlanned = true;
    let done = false;
    const run = () => {
      if (done) return;
      done = true;
      process.off('beforeExit', run);
      this.sweep().catch(() => undefined);
    };
    setTimeout(run, 1_000).unref();
    process.once('beforeExit', run);
  }

  private mac(header: Buffer, json: Buffer, cache: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(header.subarray(0, MAC_AT)).update(json).update(cache).digest();
  }

  private decode(bytes: Buffer, key: Buffer, hash: string, url: string): StoredAnalysis | undefined {
    if (!bytes.subarray(0, MAGIC.length).equals(MAGIC) || bytes.readUInt32LE(MAGIC.length) !== FORMAT) return undefined;
    if (!bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + KEY_BYTES).equals(key)) return undefined;
    const jsonLength = bytes.readUInt32LE(MAGIC.length + 4 + KEY_BYTES);
    const cacheLength = bytes.readUInt32LE(MAGIC.length + 8 + KEY_BYTES);
    if (HEADER_BYTES + jsonLength + cacheLength !== bytes.length) return undefined;
    const json = bytes.subarray(HEADER_BYTES, HEADER_BYTES + jsonLength);
    const cache = bytes.subarray(HEADER_BYTES + jsonLength);
    if (!timingSafeEqual(this.mac(bytes, json, cache), bytes.subarray(MAC_AT, HEADER_BYTES))) return undefined;
    const data = JSON.parse(json.toString('utf8')) as Partial<StoredAnalysis> & { hash?: unknown; url?: unknown };
    // The key already binds both; checked again so an entry is never used for other content.
    if (data.hash !== hash || data.url !== url) return undefined;
    if (typeof data.code !== 'string' || typeof data.edits !== 'string' || !Array.isArray(data.imports) || !Array.isArray(data.findings))
      return undefined;
    return {
      code: data.code,
      edits: data.edits,
      imports: data.imports,
      topLevelAwait: data.topLevelAwait === true,
      straightLine: data.straightLine === true,
      findings: data.findings,
      codeCache: cacheLength === 0 ? undefined : Buffer.from(cache),
    };
  }
}

function ignored(): undefined {
  stats.ignored++;
  return undefined;
}

/**
 * The directory's MAC secret: read, or made once (written to a temporary file and linked into
 * place, so concurrent processes agree on one). It must be this user's alone.
 */
function secretOf(dir: string): Buffer | undefined {
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
