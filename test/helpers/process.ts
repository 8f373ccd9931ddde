/** For `process` isolation tests: the child a sandbox lives in, and whether a process has ended. */
import type { Sandbox } from '../../src/index.js';

/** The child process a process sandbox lives in (a test-only look inside). */
export const childPid = (sandbox: Sandbox): number => (sandbox as unknown as { thread: { pid: number } }).thread.pid;

/** True once no process has this id (polled: a killed child is reaped a moment later); false after `ms`. */
export async function exited(pid: number, ms = 5_000): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
