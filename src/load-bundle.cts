/**
 * Loads one of the build's bundles (scripts/bundle-worker.mjs makes them): a CommonJS file holding
 * a whole thread's code, compiled with the V8 code cache made at build time after a warm-up. Used
 * by the worker threads of worker isolation (worker/boot.cts) and by the CLI's thread (cli/boot.cts).
 *
 * Why: a thread that loads esm-sandbox module by module pays the ESM loader (~0.5 ms per module on
 * Node 20, ~80 modules for the CLI) and compiles ~650 KB of source, much of it lazily on first
 * call. One file cuts the first; the cache, which holds the functions the warm-up compiled, much of
 * the rest; and a CommonJS entry spares the thread the ESM loader's start (~4 ms).
 *
 * Same code, same behaviour, but for one thing: an `import()` in a script compiled with a code cache
 * made in another process finds no callback (Node 20 to 24), so a bundle holds none (the build
 * checks) and takes Node's `import()` from its boot file where it needs one.
 *
 * A cache V8 rejects (another Node version, other V8 flags) or a missing
 * one only means compiling from source. Node 22.1+ offers module.enableCompileCache for the same
 * end, but it writes to a directory of its own choosing: a library should not do that.
 */
import crypto = require('node:crypto');
import fs = require('node:fs');
import nodeModule = require('node:module');
import path = require('node:path');
import vm = require('node:vm');

/**
 * What a bundle may export for its boot file: the realm bootstrap's code cache in and out (run/warm-realms.ts).
 * The bootstrap is compiled apart from the bundle (vm.Script of its source), so the bundle's cache does not hold it.
 */
interface BundleExports extends Record<string, unknown> {
  useBootstrapCache?(cache: Buffer): void;
  bootstrapCacheData?(): Buffer | undefined;
}

interface LoadedBundle {
  /** The bundle's `module.exports`. */
  readonly exports: BundleExports;
  /** V8's cache of everything compiled so far, headed by the bundle's digest: what the build stores. */
  cache(): Buffer;
}

/**
 * A bundle and its cache as read from disk and checked against each other: all a thread needs to
 * compile it. Another thread may read them and transfer them (`transferList`): the CLI's main
 * thread does, while the CLI's thread starts (cli/bin.cts), which spares that thread ~5 ms of a
 * ~230 ms command.
 */
interface BundleFiles {
  /** The bundle, ASCII (the build checks). */
  bytes: Uint8Array;
  /** Its SHA-1: the cache file is headed by the digest of the bundle it was made from. */
  digest: Uint8Array;
  /** V8's cache for it, when the cache file was made from these bytes. */
  cachedData: Uint8Array | undefined;
  /** The realm bootstrap's cache (BundleExports), stored after the bundle's. */
  bootstrapCache: Uint8Array | undefined;
}

/**
 * `undefined` when the bundle cannot be read (none was made, or a build is rewriting dist right
 * now) or is older than `unbundled`, the thread's entry as tsc writes it (tsc ran, the bundle
 * step did not): the caller loads the unbundled files instead.
 */
function readBundle(file: string, unbundled: string): BundleFiles | undefined {
  const mtime = (name: string) => fs.statSync(name, { throwIfNoEntry: false })?.mtimeMs;
  if (!((mtime(file) ?? -Infinity) >= (mtime(unbundled) ?? Infinity))) return undefined;
  let bytes: Buffer;
  try {
    bytes = ownBuffer(fs.readFileSync(file));
  } catch {
    return undefined;
  }
  // V8 checks a cache against the source's length only: a cache is used only with the bundle it
  // was made from, named by the SHA-1 that heads the cache file. Hashing the bytes in one call
  // costs ~1 ms in a new thread, where hashing the string (encoded to UTF-8 first) cost ~3.5.
  const digest = crypto.hash('sha1', bytes, 'buffer');
  // The cache file: the digest, the bundle's cache's length (4 bytes, little-endian), that cache,
  // then the realm bootstrap's (BundleExports).
  let cachedData: Uint8Array | undefined;
  let bootstrapCache: Uint8Array | undefined;
  try {
    const stored = ownBuffer(fs.readFileSync(`${file}.cache`));
    if (stored.length >= digest.length + 4 && stored.subarray(0, digest.length).equals(digest)) {
      const end = digest.length + 4 + stored.readUInt32LE(digest.length);
      if (end <= stored.length) {
        cachedData = stored.subarray(digest.length + 4, end);
        if (end < stored.length) bootstrapCache = stored.subarray(end);
      }
    }
  } catch {
    cachedData = undefined;
  }
  return { bytes, digest, cachedData, bootstrapCache };
}

/**
 * `buffer`, if it has its memory to itself; else a copy that has. A small file's may be a slice of
 * Node's shared pool, which cannot be transferred (Node 22 refused one with a DataCloneError).
 */
function ownBuffer(buffer: Buffer): Buffer {
  if (buffer.byteOffset === 0 && buffer.buffer.byteLength === buffer.byteLength) return buffer;
  const copy = Buffer.alloc(buffer.byteLength);
  buffer.copy(copy);
  return copy;
}

/** What to transfer to the thread that compiles `files`, rather than copy: buffers each file has to itself (the cache's two parts share one). */
function transferList(files: BundleFiles): ArrayBuffer[] {
  const buffers = new Set<ArrayBufferLike>([files.bytes.buffer]);
  if (files.cachedData !== undefined) buffers.add(files.cachedData.buffer);
  if (files.bootstrapCache !== undefined) buffers.add(files.bootstrapCache.buffer);
  return [...buffers].filter((buffer): buffer is ArrayBuffer => buffer instanceof ArrayBuffer);
}

/**
 * Compile and run a bundle: from `files` another thread read (readBundle), or read here; undefined
 * for a missing or stale one (see readBundle).
 */
function loadBundle(file: string, unbundled: string, files = readBundle(file, unbundled)): LoadedBundle | undefined {
  if (files === undefined) return undefined;
  const { digest, cachedData, bootstrapCache } = files;
  // The build checks that a bundle is ASCII: as Latin-1 it decodes to the same text, with no UTF-8
  // validation, and V8 keeps it one byte a character. (Read as UTF-8, the CLI's 766 KB took ~8 ms
  // in a new thread on the project's machine; bytes and this decode ~5.5.)
  const source = Buffer.from(files.bytes.buffer, files.bytes.byteOffset, files.bytes.byteLength).toString('latin1');
  // Node's CommonJS wrapper, on the bundle's first line so its line numbers hold.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n})`, {
    filename: file,
    cachedData,
  });
  const run = script.runInThisContext() as (
    exports: object,
    require: NodeJS.Require,
    module: { exports: Record<string, unknown> },
    filename: string,
    dirname: string,
  ) => void;
  const bundle: { exports: BundleExports } = { exports: {} };
  run.call(bundle.exports, bundle.exports, nodeModule.createRequire(file), bundle, file, path.dirname(file));
  if (bootstrapCache !== undefined)
    bundle.exports.useBootstrapCache?.(Buffer.from(bootstrapCache.buffer, bootstrapCache.byteOffset, bootstrapCache.byteLength));
  return {
    exports: bundle.exports,
    cache: () => {
      const own = script.createCachedData();
      const length = Buffer.alloc(4);
      length.writeUInt32LE(own.length);
      return Buffer.concat([digest, length, own, bundle.exports.bootstrapCacheData?.() ?? Buffer.alloc(0)]);
    },
  };
}

export = { loadBundle, readBundle, transferList };
