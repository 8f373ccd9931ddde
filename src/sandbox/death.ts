/**
 * Whether and why a sandbox died, for both kinds of sandbox (context-sandbox.ts, and the host side
 * of worker isolation). A dispose by its owner becomes an error only when something asks for it:
 * building one is ~15 µs after an idle moment, and most disposed sandboxes are never asked.
 */
import { DisposedError, type EsmSandboxError } from '../errors/errors.js';

export class Death {
  private error: EsmSandboxError | undefined;
  dead = false;

  /**
   * It died now, of `error` (undefined: disposed by its owner). False when it was dead already:
   * a sandbox dies once.
   */
  die(error: EsmSandboxError | undefined): boolean {
    if (this.dead) return false;
    this.dead = true;
    this.error = error;
    return true;
  }

  /** Why it died (only once it has). */
  get reason(): EsmSandboxError {
    return (this.error ??= new DisposedError('it was disposed by its owner'));
  }

  /** What an operation after its death rejects with: that error when it was a dispose, else a `DisposedError` naming it. */
  get rejection(): DisposedError {
    const reason = this.reason;
    return reason instanceof DisposedError ? reason : new DisposedError(`it was stopped earlier: ${reason.message}`);
  }

  /** `value` is the error it died of (a dispose by its owner made none until asked, so nothing is that). */
  isReason(value: unknown): boolean {
    return value !== undefined && value === this.error;
  }
}
