/**
 * tsc writes dist/cli/bin.cjs as a plain file (mode 644); the package's bin must be executable, or
 * `npx esm-sandbox` in a fresh clone fails with "Permission denied" (npm sets the bit only when it
 * links the bin, which may come before the build). So the build sets it. dist/cli/main.js too: it
 * was the bin before, and npx reuses the links of an earlier install from its cache (a stale link
 * to main.js failed `npx esm-sandbox` with "Permission denied"); main.js hands over to bin.cjs.
 */
import { chmodSync } from 'node:fs';

for (const bin of ['../dist/cli/bin.cjs', '../dist/cli/main.js']) chmodSync(new URL(bin, import.meta.url), 0o755);
