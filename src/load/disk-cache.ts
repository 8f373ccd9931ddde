/**
 * The analysis cache on disk (`SandboxOptions.cacheDir`): what the load step learnt of a file
 * (the transformed code, its imports, the policy's findings; for CommonJS, its `require()` calls
 * and exports) and V8's code cache for it (a CommonJS file's: of its wrapper function), kept
 * across processes so that a new process skips parse, analysis, transform and policy for an
 * unchanged file, and compiles it from the code cache.
 *
 * Entries live in *packs*, one file per group of modules: a package's directory, or else the
 * module's directory, under one policy, metered flag, esm-sandbox build and Node. One read brings
 * in a whole package (a file per module costs a few hundred µs of syscalls each on a slow disk:
 * more than lodash-es's 641 analyses save), and one write stores it. Inside a pack an entry is
 * found by URL (findings carry it and positions; the policy's environment depends on where the
 * file is) and used only for the content hash it was made from and as the format the file has now
 * (a `package.json` below the package's own may change it). A pack is `header | JSON | code
 * caches`; the header echoes the group's key and both lengths and ends in an HMAC-SHA256 of
 * everything else under a secret kept in the directory (`key`, 0600). A pack that fails to verify
 * is not used: its modules miss, and the next write replaces it.
 *
 * The directory is a trust boundary (SECURITY.md): entries hold code that is compiled as is.
 * It must be this user's and writable by no one else; packs owned by someone else, or writable
 * by group or others, are ignored. Any failure to open, read or write is a miss, never an error.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { buildId, manifestOf, ownedAlone, secretOf } from './cache-identity.js';
import type { ImportSite, ModuleFormat } from '../analyze/analyze.js';
import type { Diagnostic } from '../errors/diagnostic.js';

/**
 * What an entry holds: the analysis of one file as load-graph.ts uses it, and the policy's findings.
 * A CommonJS file's also holds its literal `require()` calls and what cjs-module-lexer found; its
 * code cache is that of the compiled wrapper function (link/commonjs.ts).
 */
export interface StoredAnalysis {
  code: string;
  edits: string;
  imports: ImportSite[];
  topLevelAwait: boolean;
  straightLine: boolean;
  findings: Diagnostic[];
  codeCache: Buffer | undefined;
  /** Absent: an ES module. */
  format?: ModuleFormat;
  requires?: ImportSite[];
  lexed?: { exports: readonly string[]; reexports: readonly string[] } | undefined;
}

/** Size bound of a cache directory: past it, the least recently used packs go. */
export const DEFAULT_CACHE_MAX_BYTES = 64 * 1024 * 1024;

/** A module's entry in a pack: its analysis, for the content it was made from. */
interface PackEntry extends StoredAnalysis {
  hash: string;
}

/** One group's pack as this thread knows it: read once, written back when it gained entries. */
export interface Pack {
  readonly file: string;
  readonly key: Buffer;
  readonly entries: Map<string, PackEntry>;
  dirty: boolean;
}

const MAGIC = Buffer.from('ESMSBXC\n', 'latin1');
/** Bumped whenever what a pack means changes; older packs then miss (their key differs too). */
const FORMAT = 3;
const KEY_BYTES = 32;
const MAC_BYTES = 32;
// magic | format u32 | key | JSON length u32 | code caches length u32 | MAC
const MAC_AT = MAGIC.length + 4 + KEY_BYTES + 4 + 4;
const HEADER_BYTES = MAC_AT + MAC_BYTES;
/** Larger packs are not read. */
const MAX_PACK_BYTES = 512 * 1024 * 1024;
const PACK_NAME = /^[0-9a-f]{64}$/;
/** A read refreshes the pack's mtime (its recency for eviction) at most this often. */
const TOUCH_AFTER_MS = 60 * 60 * 1000;
/** New entries are written this long after the last one came, in one write per pack. */
const FLUSH_AFTER_MS = 100;
/** A sweep leaves this share of the bound, so the next few writes do not sweep again. */
const SWEEP_TO = 0.8;

const stats = { hits: 0, misses: 0, ignored: 0, stored: 0, writes: 0, evicted: 0 };

/**
 * Counters of this thread's disk cache use since it started: `hits` and `misses` (modules looked
 * up), `ignored` (packs that did not verify), `stored` (entries added), `writes` (packs written),
 * `evicted` (packs removed by a sweep). For tests and benches.
 */
export const diskCacheStats = (): Readonly<typeof stats> => ({ ...stats });

/** The group of a module: its package's directory (`.../node_modules/name`), else its own directory. */
function groupOf(url: string): string {
  const at = url.lastIndexOf('/node_modules/');
  if (at < 0) return url.slice(0, url.lastIndexOf('/'));
  const rest = url.slice(at + '/node_modules/'.length).split('/');
  return `${url.slice(0, at)}/node_modules/${rest.slice(0, rest[0]!.startsWith('@') ? 2 : 1).join('/')}`;
}

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

/** Write every pack with new entries now (the exit of the process or thread does it too). */
export function flushDiskCaches(): void {
  for (const cache of opened.values()) cache?.flush();
}

/** Write what is pending, then forget every open cache and its packs: the next use reads the disk again, as a new process would. */
export function closeDiskCaches(): void {
  flushDiskCaches();
  opened.clear();
}

let flushAtExit = false;

export class DiskCache {
  /** By group, metered flag and policy fingerprint. */
  private readonly packs = new Map<string, Pack>();
  private flushTimer: NodeJS.Timeout | undefined;
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

  /** The pack `url` belongs to under this policy and metering, read from disk the first time. */
  packOf(url: string, metered: boolean, fingerprint: string): Pack {
    const group = groupOf(url);
    const memo = `${group}\0${metered}\0${fingerprint}`;
    let pack = this.packs.get(memo);
    if (pack === undefined) {
      // A package's findings also depend on the dependencies its package.json declares
      // (no-disallowed-import): a changed manifest is another pack.
      const manifest = group.includes('/node_modules/') ? manifestOf(group) : '';
      const key = createHash('sha256').update(`${FORMAT}\0${buildId}\0${memo}\0${manifest}`).digest();
      const file = path.join(this.dir, key.toString('hex'));
      pack = { file, key, entries: this.read(file, key, group) ?? new Map(), dirty: false };
      this.packs.set(memo, pack);
    }
    return pack;
  }

  /**
   * The entry of `url` in `pack` if it was made from this content, as this format when one is given
   * (a package.json's `type` decides it, and only the package's own manifest is in the pack's key).
   */
  lookup(pack: Pack, url: string, hash: string, format?: ModuleFormat): StoredAnalysis | undefined {
    const entry = pack.entries.get(url);
    if (entry === undefined || entry.hash !== hash || (format !== undefined && (entry.format ?? 'module') !== format)) {
      stats.misses++;
      return undefined;
    }
    stats.hits++;
    return entry;
  }

  /** Add (or replace) the entry of `url`; the pack is written a moment later, once for all that came. */
  store(pack: Pack, url: string, hash: string, stored: StoredAnalysis): void {
    const { code, edits, imports, topLevelAwait, straightLine, findings, codeCache } = stored;
    const entry: PackEntry = { hash, code, edits, imports, topLevelAwait, straightLine, findings, codeCache };
    if (stored.format === 'commonjs') Object.assign(entry, { format: stored.format, requires: stored.requires, lexed: stored.lexed });
    pack.entries.set(url, entry);
    pack.dirty = true;
    stats.stored++;
    if (!flushAtExit) {
      flushAtExit = true;
      process.once('exit', flushDiskCaches);
    }
    clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => this.flush(), FLUSH_AFTER_MS).unref();
  }

  /** Write every pack that gained entries, atomically (a temporary file renamed over the pack). */
  flush(): void {
    clearTimeout(this.flushTimer);
    for (const pack of this.packs.values()) {
      if (!pack.dirty) continue;
      pack.dirty = false;
      const temp = `${pack.file}.${process.pid}-${threadId}-${randomBytes(4).toString('hex')}.tmp`;
      try {
        fs.writeFileSync(temp, this.encode(pack), { mode: 0o600, flag: 'wx' });
        fs.renameSync(temp, pack.file);
        stats.writes++;
        this.planSweep();
      } catch {
        fs.rmSync(temp, { force: true });
      }
    }
  }

  /**
   * Evict least recently used packs (by mtime, which a read refreshes) until the directory holds
   * at most 80% of its bound; temporary files a crashed writer left are removed too.
   */
  async sweep(): Promise<void> {
    const names = await fs.promises.readdir(this.dir);
    const now = Date.now();
    const packs = await Promise.all(
      names.map(async (name) => {
        const full = path.join(this.dir, name);
        const info = await fs.promises.lstat(full).catch(() => undefined);
        if (info === undefined || !info.isFile()) return undefined;
        if (name.endsWith('.tmp')) {
          if (now - info.mtimeMs > 60_000) await fs.promises.rm(full, { force: true });
          return undefined;
        }
        return PACK_NAME.test(name) ? { full, size: info.size, used: info.mtimeMs } : undefined;
      }),
    );
    const present = packs.filter((pack) => pack !== undefined);
    let total = present.reduce((sum, pack) => sum + pack.size, 0);
    if (total <= this.maxBytes) return;
    present.sort((a, b) => a.used - b.used);
    for (const pack of present) {
      if (total <= this.maxBytes * SWEEP_TO) break;
      await fs.promises.rm(pack.full, { force: true });
      total -= pack.size;
      stats.evicted++;
    }
  }

  /** After this thread's first write, once, on a timer that does not keep the process alive. */
  private planSweep(): void {
    if (this.sweepPlanned) return;
    this.sweepPlanned = true;
    setTimeout(() => void this.sweep().catch(() => undefined), 1_000).unref();
  }

  private mac(header: Buffer, json: Buffer, caches: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(header.subarray(0, MAC_AT)).update(json).update(caches).digest();
  }

  private encode(pack: Pack): Buffer {
    const caches: Buffer[] = [];
    let offset = 0;
    const entries = [...pack.entries].map(([url, { codeCache, ...entry }]) => {
      const at = offset;
      if (codeCache !== undefined) {
        caches.push(codeCache);
        offset += codeCache.length;
      }
      return [url, { ...entry, cache: codeCache === undefined ? undefined : [at, codeCache.length] }] as const;
    });
    const json = Buffer.from(JSON.stringify(entries));
    const blob = Buffer.concat(caches, offset);
    const header = Buffer.alloc(HEADER_BYTES);
    MAGIC.copy(header, 0);
    header.writeUInt32LE(FORMAT, MAGIC.length);
    pack.key.copy(header, MAGIC.length + 4);
    header.writeUInt32LE(json.length, MAGIC.length + 4 + KEY_BYTES);
    header.writeUInt32LE(blob.length, MAGIC.length + 8 + KEY_BYTES);
    this.mac(header, json, blob).copy(header, MAC_AT);
    return Buffer.concat([header, json, blob]);
  }

  /** The entries of the pack in `file`, verified; undefined when there is none or it does not verify. */
  private read(file: string, key: Buffer, group: string): Map<string, PackEntry> | undefined {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch {
      return undefined;
    }
    try {
      const info = fs.fstatSync(fd);
      if (!info.isFile() || !ownedAlone(info, 0o022) || info.size < HEADER_BYTES || info.size > MAX_PACK_BYTES) return ignored();
      const bytes = Buffer.allocUnsafe(info.size);
      for (let at = 0; at < bytes.length;) {
        const got = fs.readSync(fd, bytes, at, bytes.length - at, at);
        if (got === 0) return ignored();
        at += got;
      }
      const entries = this.decode(bytes, key, group);
      if (entries === undefined) return ignored();
      const now = Date.now();
      if (now - info.mtimeMs > TOUCH_AFTER_MS) fs.futimesSync(fd, now / 1000, now / 1000);
      return entries;
    } catch {
      return ignored();
    } finally {
      fs.closeSync(fd);
    }
  }

  private decode(bytes: Buffer, key: Buffer, group: string): Map<string, PackEntry> | undefined {
    if (!bytes.subarray(0, MAGIC.length).equals(MAGIC) || bytes.readUInt32LE(MAGIC.length) !== FORMAT) return undefined;
    if (!bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + KEY_BYTES).equals(key)) return undefined;
    const jsonLength = bytes.readUInt32LE(MAGIC.length + 4 + KEY_BYTES);
    const blobLength = bytes.readUInt32LE(MAGIC.length + 8 + KEY_BYTES);
    if (HEADER_BYTES + jsonLength + blobLength !== bytes.length) return undefined;
    const json = bytes.subarray(HEADER_BYTES, HEADER_BYTES + jsonLength);
    const blob = bytes.subarray(HEADER_BYTES + jsonLength);
    if (!timingSafeEqual(this.mac(bytes, json, blob), bytes.subarray(MAC_AT, HEADER_BYTES))) return undefined;
    const list = JSON.parse(json.toString('utf8')) as unknown;
    if (!Array.isArray(list)) return undefined;
    const entries = new Map<string, PackEntry>();
    for (const item of list as Array<[unknown, Partial<PackEntry> & { cache?: [number, number] }]>) {
      const [url, data] = item;
      // The key binds the group; a URL of another group is not this pack's to answer for.
      if (typeof url !== 'string' || groupOf(url) !== group || typeof data !== 'object' || data === null) return undefined;
      const { hash, code, edits, imports, findings, cache } = data;
      if (typeof hash !== 'string' || typeof code !== 'string' || typeof edits !== 'string') return undefined;
      if (!Array.isArray(imports) || !Array.isArray(findings)) return undefined;
      if (cache !== undefined && !(cache[0] >= 0 && cache[1] > 0 && cache[0] + cache[1] <= blob.length)) return undefined;
      const entry: PackEntry = {
        hash,
        code,
        edits,
        imports,
        topLevelAwait: data.topLevelAwait === true,
        straightLine: data.straightLine === true,
        findings,
        codeCache: cache === undefined ? undefined : blob.subarray(cache[0], cache[0] + cache[1]),
      };
      if (data.format === 'commonjs') {
        const { requires, lexed } = data;
        if (!Array.isArray(requires) || !isLexed(lexed)) return undefined;
        Object.assign(entry, { format: data.format, requires, lexed });
      }
      entries.set(url, entry);
    }
    return entries;
  }
}

const isNames = (value: unknown): value is string[] => Array.isArray(value) && value.every((name) => typeof name === 'string');

/** cjs-module-lexer's answer as stored, or undefined (not lexed yet when the entry was written). */
const isLexed = (value: unknown): value is StoredAnalysis['lexed'] =>
  value === undefined ||
  (typeof value === 'object' &&
    value !== null &&
    isNames((value as { exports?: unknown }).exports) &&
    isNames((value as { reexports?: unknown }).reexports));

function ignored(): undefined {
  stats.ignored++;
  return undefined;
}
