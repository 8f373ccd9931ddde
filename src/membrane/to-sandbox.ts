/**
 * Host → sandbox copying. Every object that comes out is built by the sandbox's own kit, so its
 * prototype chain is the sandbox's; host functions become sandbox-realm bridges that close over
 * an id, never over the function; host errors and promises are rebuilt, never handed over.
 */
import {
  ArrayIsArray,
  DatePrototypeGetTime,
  MapPrototypeEntries,
  ReflectDefineProperty,
  ReflectOwnKeys,
  RegExpFlags,
  RegExpSource,
  SetPrototypeValues,
  isArrayBuffer,
  isDate,
  isMap,
  isNativeError,
  isPromise,
  isRegExp,
  isSet,
  inheritedMethods,
  isTypedArray,
  ObjectPrototype,
  typedArrayInfo,
} from '../commons.js';
import { MembraneError } from '../errors/errors.js';
import type { Kit } from '../run/kit.js';
import { Copier, type CopyLimits } from './from-sandbox.js';

/** Which of the realm's error constructors a host error is rebuilt with (`base`), and its `name` there. */
export interface RealmErrorShape {
  base: 'SyntaxError' | 'TypeError';
  name: string;
}

export interface CopyInHooks {
  /** A host function (with the host object it was read from) as a sandbox bridge. */
  bridgeFunction(fn: (...args: unknown[]) => unknown, receiver: unknown): unknown;
  /** A host promise as a sandbox promise. */
  bridgePromise(promise: Promise<unknown>): unknown;
  /** A BigInt (or an array of them) is about to enter the realm (run/realm-source/tame-bigint.ts); throws if it must not. */
  bigint(path: string): void;
  /** Is this a host-side view of a sandbox value (a wrapper the membrane made)? Then the original. */
  unwrap(value: object): { found: true; value: unknown } | { found: false };
}

export class CopyIn extends Copier {
  constructor(
    private readonly kit: Kit,
    private readonly hooks: CopyInHooks,
    private readonly limits: CopyLimits,
  ) {
    super();
  }

  copy(value: unknown, path: string, depth = 0, receiver?: unknown): unknown {
    if (++this.nodes > this.limits.maxNodes) throw new MembraneError(`more than ${this.limits.maxNodes} values`, path);
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
      if (typeof value === 'bigint') this.hooks.bigint(path);
      return value;
    }
    const original = this.hooks.unwrap(value);
    if (original.found) return original.value;
    if (typeof value === 'function') return this.hooks.bridgeFunction(value as (...args: unknown[]) => unknown, receiver);
    const known = this.seen.get(value);
    if (known !== undefined) return known;
    if (depth > this.limits.maxDepth) throw new MembraneError(`nested deeper than ${this.limits.maxDepth} levels`, path);
    const { kit } = this;
    if (isPromise(value)) return this.hooks.bridgePromise(value as Promise<unknown>);
    if (ArrayIsArray(value)) {
      const out = this.keep(value, kit.array());
      // No receiver for items: an array holds values, not methods, so a function in an argument list keeps one identity.
      for (let i = 0; i < value.length; i++) define(out, i, this.copy(value[i], `${path}[${i}]`, depth + 1));
      return out;
    }
    if (isDate(value)) return this.keep(value, kit.date(DatePrototypeGetTime(value as Date)));
    if (isRegExp(value)) return this.keep(value, kit.regexp(RegExpSource(value as RegExp), RegExpFlags(value as RegExp)));
    if (isMap(value)) {
      const out = this.keep(value, kit.map());
      for (const [k, v] of MapPrototypeEntries(value as Map<unknown, unknown>)) {
        kit.mapSet(out, this.copy(k, `${path}<key>`, depth + 1), this.copy(v, `${path}<value>`, depth + 1));
      }
      return out;
    }
    if (isSet(value)) {
      const out = this.keep(value, kit.set());
      for (const v of SetPrototypeValues(value as Set<unknown>)) kit.setAdd(out, this.copy(v, `${path}<item>`, depth + 1));
      return out;
    }
    if (isTypedArray(value)) {
      const info = typedArrayInfo(value);
      if (info.tag === 'BigInt64Array' || info.tag === 'BigUint64Array') this.hooks.bigint(path);
      const buffer = kit.arrayBuffer(info.byteLength);
      new Uint8Array(buffer).set(new Uint8Array(info.buffer, info.byteOffset, info.byteLength));
      const out = kit.typed(info.tag, buffer, 0, info.byteLength / (value as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT);
      if (out === undefined) throw new MembraneError(`${info.tag} is not supported`, path);
      return this.keep(value, out);
    }
    if (isArrayBuffer(value)) {
      const buffer = kit.arrayBuffer((value as ArrayBuffer).byteLength);
      new Uint8Array(buffer).set(new Uint8Array(value as ArrayBuffer));
      return this.keep(value, buffer);
    }
    if (isNativeError(value)) return this.keep(value, this.error(value as Error));
    // Any other host object crosses as a plain object of its own enumerable properties.
    const out = this.keep(value, kit.object(false));
    for (const key of ReflectOwnKeys(value)) {
      if (typeof key !== 'string') continue;
      if (!Object.prototype.propertyIsEnumerable.call(value, key)) continue;
      define(out, key, this.copy((value as Record<string, unknown>)[key], path ? `${path}.${key}` : key, depth + 1, value));
    }
    // Methods reached through the prototype (class instances such as an API client) cross too.
    for (const [key, method] of inheritedMethods(value, ObjectPrototype))
      define(out, key, this.copy(method, `${path}.${key}`, depth + 1, value));
    return out;
  }

  /**
   * A host error as a sandbox error: name, message and code only; host stack frames stay behind.
   * @param as the realm constructor to build it with, and the name it gets, when not the host error's own
   */
  error(error: Error, as?: RealmErrorShape): object {
    const name = as?.name ?? (typeof error.name === 'string' ? error.name : 'Error');
    const out = this.kit.error(name, typeof error.message === 'string' ? error.message : '', as?.base);
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string') define(out, 'code', code);
    return out;
  }
}

/** Own data property on a fresh sandbox object: never triggers a setter the sandbox defined. */
function define(target: object, key: string | number, value: unknown): void {
  ReflectDefineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}
