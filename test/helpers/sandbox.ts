/**
 * One suite, every isolation: core and security tests call `describeEach(isolation => ...)` so the
 * same assertions run against `context` (this process has the flag), `worker` and `process`.
 * Sandboxes made with `make()` are disposed after each test, so a failing test leaks nothing.
 */
import { afterEach, describe } from 'vitest';
import { createSandbox, createSandboxPool } from '../../src/index.js';
import type { Isolation, Sandbox, SandboxOptions, SandboxPool, SandboxPoolOptions } from '../../src/index.js';

export const ISOLATIONS: readonly Isolation[] = ['context', 'worker', 'process'];

export const fixtures = (folder: string) => new URL(`../../fixtures/${folder}/`, import.meta.url);

export interface IsolationKit {
  isolation: Isolation;
  /** A sandbox of this isolation, disposed after the test. */
  make(options?: SandboxOptions): Sandbox;
}

/** @param isolations where the suite applies (all by default). */
export function describeEach(name: string, body: (kit: IsolationKit) => void, isolations: readonly Isolation[] = ISOLATIONS): void {
  for (const isolation of isolations) {
    describe(`${name} [${isolation}]`, () => {
      const live: Sandbox[] = [];
      afterEach(async () => {
        await Promise.all(live.splice(0).map((s) => s.dispose()));
      });
      body({
        isolation,
        make(options = {}) {
          const sandbox = createSandbox({ ...options, isolation });
          live.push(sandbox);
          return sandbox;
        },
      });
    });
  }
}

/**
 * What `work` rejected with (fields readable for assertions, or typed as `E`, e.g. a `SandboxError`);
 * fails the test if it resolved.
 */
export async function rejection<E extends Error = Error & Record<string, unknown>>(work: Promise<unknown>): Promise<E> {
  try {
    await work;
  } catch (error) {
    return error as E;
  }
  throw new Error('expected a rejection');
}

/** Pools for one test file, rooted at `root`: each pool made is closed after every test. */
export function poolsAt(root: URL): (options?: SandboxPoolOptions) => SandboxPool {
  const pools: SandboxPool[] = [];
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.close()));
  });
  return (options = {}) => {
    const made = createSandboxPool({ root, ...options });
    pools.push(made);
    return made;
  };
}
