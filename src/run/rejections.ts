/**
 * Unhandled rejections of sandbox promises. Node reports every context's rejections to the
 * host process, whose default is to crash. The one place Node asks is
 * `process.emit('unhandledRejection')`: a sandbox's rejection is answered there (routed to
 * its sandbox, reported handled); everything else goes through untouched, so the host's own
 * rejections behave exactly as before, listeners and `--unhandled-rejections` included.
 */
import { ObjectPrototype, ReflectApply, ReflectGetPrototypeOf, isProxy } from '../commons.js';

type Handler = (reason: unknown) => void;

/** Sandbox `Object.prototype` → that sandbox's handler. */
const owners = new WeakMap<object, Handler>();
let installed = false;

export function routeRejections(objectPrototype: object, handler: Handler): void {
  owners.set(objectPrototype, handler);
  if (installed) return;
  installed = true;
  const emit = process.emit;
  const patched = function (this: NodeJS.Process, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'unhandledRejection') {
      const handler = ownerOf(args[1]);
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
  let current: object | null = promise;
  for (let i = 0; current !== null && i < 1_000; i++) {
    if (isProxy(current)) return dropped;
    if (current === ObjectPrototype) return undefined;
    const owner = owners.get(current);
    if (owner !== undefined) return owner;
    current = ReflectGetPrototypeOf(current);
  }
  return dropped;
}

let warned = false;
const dropped: Handler = () => {
  if (warned) return;
  warned = true;
  process.emitWarning('esm-sandbox dropped an unhandled rejection of a promise whose prototype chain was rewritten', 'EsmSandboxWarning');
};
