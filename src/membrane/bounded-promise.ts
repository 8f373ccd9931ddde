/**
 * The host's copy of a sandbox promise. A sandbox promise may never settle (`new Promise(() => {})`),
 * and a host `await` of its copy must not wait forever: the copy settles within the sandbox's
 * `deadline` of being awaited, with a `DeadlineError` past it. The clock starts when the host's
 * code first subscribes: `await`, `Promise.all`/`race`/`resolve` and `.catch`/`.finally` all call
 * `then` on a Promise subclass. A copy nobody awaits holds no timer, so an exported `ready`
 * promise that settles late, or never, costs nothing and reports nothing.
 *
 * esm-sandbox's own plumbing subscribes with the captured `Promise.prototype.then`
 * (`observeQuietly`), which starts no clock.
 */
import { ReflectApply } from '../commons.js';
import { DeadlineError } from '../errors/errors.js';
import { deadlineTimer } from '../run/deadline-timer.js';

const PromisePrototypeThen = Promise.prototype.then;

export interface BoundedPromiseHandle<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

class BoundedPromise<T> extends Promise<T> {
  // Derived promises (`.then(...)` results) are plain ones: only the copy itself is bounded.
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  /** Starts the deadline on the first subscription; cleared once used. */
  arm: (() => void) | undefined;

  override then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    const arm = this.arm;
    if (arm !== undefined) {
      this.arm = undefined;
      arm();
    }
    return super.then(onFulfilled, onRejected);
  }
}

/**
 * A host promise for a sandbox promise, bounded by `deadline` ms from its first `await`.
 * @param what names the promise in the `DeadlineError` ("a promise of the sandbox").
 * @param onExpired runs when the deadline rejects it (to drop the sandbox side's bookkeeping).
 */
export function boundedPromise<T>(deadline: number, what: string, onExpired?: () => void): BoundedPromiseHandle<T> {
  let resolveCopy!: (value: T) => void;
  let rejectCopy!: (reason: unknown) => void;
  const promise = new BoundedPromise<T>((resolve, reject) => {
    resolveCopy = resolve;
    rejectCopy = reject;
  });
  let cancel: (() => void) | undefined;
  let settled = false;
  const finish = () => {
    settled = true;
    promise.arm = undefined;
    cancel?.();
  };
  if (Number.isFinite(deadline)) {
    promise.arm = () => {
      if (settled) return;
      cancel = deadlineTimer(deadline, () => {
        if (settled) return;
        finish();
        onExpired?.();
        rejectCopy(new DeadlineError(deadline, what, false));
      });
    };
  }
  return {
    promise,
    resolve: (value) => {
      if (!settled) {
        finish();
        resolveCopy(value);
      }
    },
    reject: (reason) => {
      if (!settled) {
        finish();
        rejectCopy(reason);
      }
    },
  };
}

/** Subscribe without starting a bounded promise's clock (esm-sandbox forwarding a settlement). */
export function observeQuietly<T>(promise: Promise<T>, onFulfilled: (value: T) => void, onRejected: (reason: unknown) => void): void {
  ReflectApply(PromisePrototypeThen, promise, [onFulfilled, onRejected]);
}
