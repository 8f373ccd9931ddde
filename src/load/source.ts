/**
 * Reading a module's text from disk: refuse what is not text, limit size, drop the BOM.
 */
import { readFile } from 'node:fs/promises';
import { LoadError } from '../errors/errors.js';

export interface LoadLimits {
  /** Largest module file accepted, in bytes. */
  maxModuleBytes: number;
}

export const DEFAULT_LOAD_LIMITS: LoadLimits = { maxModuleBytes: 16 * 1024 * 1024 };

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export async function readModuleText(file: string, url: string, limits: LoadLimits): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new LoadError(`Cannot read ${url}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { url });
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
