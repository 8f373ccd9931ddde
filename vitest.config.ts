import { defineConfig } from 'vitest/config';

// Tests run with --experimental-vm-modules so the suite exercises `context` isolation directly;
// test/noflag/ starts plain child processes to prove nobody has to pass the flag.
export default defineConfig({
  test: {
    pool: 'forks',
    execArgv: ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning'],
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The benches load the build natively (test/bench/support/library.ts): what users run, not a
    // copy transformed by Vite's module runner.
    server: { deps: { external: [/\/dist\//] } },
    benchmark: { include: ['test/bench/**/*.bench.ts'] },
  },
});
