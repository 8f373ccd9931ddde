/**
 * Reading a module's text from disk: refuse what is not text, limit size, drop the BOM.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { LoadError } from '../errors/errors.js';

export interface LoadLimits {
  /** Largest module file accepted, in bytes. */
  maxModuleBytes: number;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Opening never blocks (a FIFO swapped in after the resolver's check), and is not a regular file anyway. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * Synchronous on purpose, like Node's own module resolution: an async read is four thread-pool
 * round trips (open, fstat, read, close), and a graph is discovered level by level, so a chain of
 * 50 modules waited on 200 of them in a row (~10-20 ms on a busy machine, against ~1 ms of
 * syscalls). The size is checked on the open descriptor before anything is read.
 */
export function readModuleText(file: string, url: string, limits: LoadLimits): string {
  let bytes: Buffer;
  let fd: number | undefined;
  try {
    fd = openSync(file, OPEN_FLAGS);
    const info = fstatSync(fd);
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!info.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'not a regular file' });
    if (info.size > limits.maxModuleBytes) {
      throw new LoadError(`${url} is ${info.size} bytes, over the ${limits.maxModuleBytes}-byte module limit`, { url });
    }
    bytes = readFileSync(fd);
  } catch (error) {
    if (error instanceof LoadError) throw error;
    throw new LoadError(`Cannot read ${url}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { url });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (bytes.length > limits.maxModuleBytes) {
    throw new LoadError(`${url} is ${bytes.length} bytes, over the ${limits.maxModuleBytes}-byte module limit`, { url });
  }
  if (bytes.subarray(0, 8192).includes(0)) throw new LoadError(`${url} is a binary file, not a module`, { url });
  try {
    return decoder.decode(bytes);
  } catch {
    throw new LoadError(`${url} is not valid UTF-8 text`, { url });
  }
}
