/**
 * Unhandled rejections of sandbox promises, and of the host promises esm-sandbox hands out for a
 * sandbox. Node reports every context's rejections to the host process, whose default is to
 * crash. The one place Node asks is `process.emit('unhandledRejection')`: such a rejection is
 * answered there (routed to its sandbox, reported handled); everything else goes through
 * untouched, so the host's own rejections behave exactly as before, listeners included.
 * (`--unhandled-rejections=strict` raises before Node asks: with it, nothing can be routed.)
 */
import { ObjectPrototype, ReflectApply, walkPrototypes } from '../commons.js';

type Handler = (reason: unknown) => void;

/** Sandbox `Object.prototype` → that sandbox's handler. */
const owners = new WeakMap<object, Handler>();
/** Host promises esm-sandbox handed to the host's code → the handler of the sandbox they speak for. */
const supervised = new WeakMap<object, Handler>();
let installed = false;

export function routeRejections(objectPrototype: object, handler: Handler): void {
  owners.set(objectPrototype, handler);
  install();
}

/**
 * A host promise esm-sandbox made (the result of a call into a sandbox, a sandbox promise's host
 * copy, an import) rejects like any promise, and the host's code may never look at it: a
 * callback a host function fired and forgot, a promise cut off by `dispose()`. Node would then
 * end the host process. If nobody has handled its rejection by the time Node asks, it goes to
 * the sandbox's `handler` instead (its `onError`), exactly when Node would have reported it.
 */
export function supervise<T>(promise: Promise<T>, handler: Handler): Promise<T> {
  supervised.set(promise, handler);
  install();
  return promise;
}

function install(): void {
  if (installed) return;
  installed = true;
  const emit = process.emit;
  const patched = function (this: NodeJS.Process, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'unhandledRejection') {
      const promise = args[1];
      const handler = (promise !== null && typeof promise === 'object' ? supervised.get(promise) : undefined) ?? ownerOf(promise);
      if (handler !== undefined) {
        handler(args[0]);
        return true;
      }
    }
    return ReflectApply(emit, this, [event, ...args]) as boolean;
  };
  process.emit = patched as typeof process.emit;
}

/**
 * The handler of the sandbox a promise belongs to: its chain ends at that sandbox's
 * Object.prototype. A chain that reaches neither a sandbox's nor the host's Object.prototype
 * (re-parented to null, or through a proxy, whose traps must not run here) can only have been
 * made so by sandbox code: it is dropped rather than allowed to take the host down.
 */
function ownerOf(promise: unknown): Handler | undefined {
  if (promise === null || typeof promise !== 'object') return undefined;
  // `null` marks the host's Object.prototype: a host promise, no sandbox's business.
  const owner = walkPrototypes<Handler | null>(promise, (current) => (current === ObjectPrototype ? null : owners.get(current)), {
    proxy: dropped,
    end: dropped,
  });
  return owner ?? undefined;
}

let warned = false;
const dropped: Handler = () => {
  if (warned) return;
  warned = true;
  process.emitWarning('esm-sandbox dropped an unhandled rejection of a promise whose prototype chain was rewritten', 'EsmSandboxWarning');
};
