/**
 * tsc writes dist/cli/bin.cjs as a plain file (mode 644); the package's bin must be executable, or
 * `npx esm-sandbox` in a fresh clone fails with "Permission denied" (npm sets the bit only when it
 * links the bin, which may come before the build). So the build sets it.
 */
import { chmodSync } from 'node:fs';

chmodSync(new URL('../dist/cli/bin.cjs', import.meta.url), 0o755);
