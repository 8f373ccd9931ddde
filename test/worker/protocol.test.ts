/**
 * Errors that cross between threads (src/worker/protocol.ts) arrive typed: esm-sandbox's own
 * classes are rebuilt as themselves, and a function that could not cross with its error fails,
 * when called, with a MembraneError rather than a plain Error.
 */
import { expect, it } from 'vitest';
import { DisposedError, EsmSandboxError, MembraneError, SandboxError } from '../../src/index.js';
import { decodeError, encodeError } from '../../src/worker/protocol.js';

it('a function held by an error reported after the fact throws a MembraneError when called', () => {
  const original = new SandboxError('Error', 'x', { retry: () => 1 });
  const back = decodeError(encodeError(original, () => 7)) as SandboxError & { thrown: { retry(): unknown } };
  expect(back).toBeInstanceOf(SandboxError);
  let failure: unknown;
  try {
    back.thrown.retry();
  } catch (error) {
    failure = error;
  }
  expect(failure).toBeInstanceOf(MembraneError);
  expect((failure as MembraneError).code).toBe('ERR_SANDBOX_MEMBRANE');
  expect((failure as Error).message).toMatch(/did not cross with the error that held it/);
});

it('DisposedError, as the worker refuses a request for a sandbox it no longer has, crosses as itself', () => {
  const back = decodeError(encodeError(new DisposedError('it is gone from its worker')));
  expect(back).toBeInstanceOf(DisposedError);
  expect(back).toBeInstanceOf(EsmSandboxError);
  expect((back as DisposedError).code).toBe('ERR_SANDBOX_DISPOSED');
  expect(back.message).toBe('The sandbox is disposed: it is gone from its worker');
});
