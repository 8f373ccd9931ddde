/**
 * The host's half of the realm's web globals (run/realm-source/web-*.ts): the few questions the
 * realm asks the host, each answered with primitives or with a realm array of primitives built by
 * the kit. Nothing here ever hands the realm a host object, and nothing throws: a host error
 * (a URL Node cannot parse) becomes `undefined`, which the realm turns into its own TypeError.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { now } from '../commons.js';
import { HostOp } from '../realm-protocol.js';
import { URL_PARTS } from './realm-source/web-url.js';
import { MAX_RANDOM_BYTES } from './realm-source/web-platform.js';
import type { Kit } from './kit.js';

/** The URL parts the realm may set, each through Node's setter of that name. */
const SETTABLE = new Set<string>(['protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash']);

/** A parsed URL's parts as a realm array, in URL_PARTS order. */
function partsOf(kit: Kit, url: URL): unknown[] {
  return kit.arrayOf(URL_PARTS.map((part) => url[part]));
}

/** `new URL(input, base)` on the host, its parts for the realm; undefined when Node refuses it. */
function parseUrl(kit: Kit, input: unknown, base: unknown): unknown[] | undefined {
  if (typeof input !== 'string' || (base !== undefined && typeof base !== 'string')) return undefined;
  try {
    return partsOf(kit, new URL(input, base));
  } catch {
    return undefined;
  }
}

/** `href` with one part set as Node's setter sets it (a value it ignores leaves the URL as it was). */
function setUrlPart(kit: Kit, href: unknown, part: unknown, value: unknown): unknown[] | undefined {
  if (typeof href !== 'string' || typeof part !== 'string' || typeof value !== 'string' || !SETTABLE.has(part)) return undefined;
  try {
    const url = new URL(href);
    (url as unknown as Record<string, string>)[part] = value;
    return partsOf(kit, url);
  } catch {
    return undefined;
  }
}

/** `bytes` random bytes as latin1 characters (one per byte), or undefined for a size out of range. */
function randomLatin1(bytes: unknown): string | undefined {
  if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 0 || bytes > MAX_RANDOM_BYTES) return undefined;
  return randomBytes(bytes).toString('latin1');
}

/**
 * The realm's clock ticks in steps of 100 µs, as browsers coarsen `performance.now()` for a page
 * without cross-origin isolation (the realm has no SharedArrayBuffer either).
 */
const CLOCK_STEPS_PER_MS = 10;

function coarsen(ms: number): number {
  return Math.floor(ms * CLOCK_STEPS_PER_MS) / CLOCK_STEPS_PER_MS;
}

/** The web globals' requests of the host entry (realm.ts), answered; `timeOrigin` is when the realm was adopted (now() of commons.ts). */
export function answerWeb(kit: Kit, timeOrigin: number, op: number, a: unknown, b: unknown, c: unknown): unknown {
  switch (op) {
    case HostOp.UrlParse:
      return parseUrl(kit, a, b);
    case HostOp.UrlSet:
      return setUrlPart(kit, a, b, c);
    case HostOp.Random:
      return randomLatin1(a);
    case HostOp.RandomUUID:
      return randomUUID();
    case HostOp.Now:
      return coarsen(now() - timeOrigin);
    case HostOp.TimeOrigin:
      // Wall time at the adoption: the host's high-resolution wall time now, less the time since.
      // Only here is perf_hooks worth loading (commons.ts, now).
      // eslint-disable-next-line no-restricted-globals
      return coarsen(performance.timeOrigin + performance.now() - (now() - timeOrigin));
    default:
      return undefined;
  }
}
