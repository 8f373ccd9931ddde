#!/usr/bin/env node
/**
 * esm-sandbox CLI.
 *
 *   esm-sandbox run <file> [--allow spec=host-module.mjs ...] [--root dir] [--timeout ms] [--deadline ms] [--json] [--policy preset|off]
 *   esm-sandbox config <file> [--json] [--mode m] [--command c] [--env NAME ...] and the run flags
 *   esm-sandbox check <file> [--json] [--preset strict] [--rule id=severity ...] [--root dir] [--allow spec ...]
 *   esm-sandbox eval '<expression>' [--scope data.json] [--json] [--budget n]
 *   esm-sandbox render <template-file> [--scope data.json] [--escape html|none] [--budget n]
 *   esm-sandbox watch <file> and the run flags: run again on every change, until SIGINT/SIGTERM
 *
 * Exit codes: 0 success; 1 the module failed (load, policy, thrown, timeout, deadline), or for
 * check: errors found (warnings alone exit 0); 2 bad usage.
 *
 * The commands are in commands.ts. Run as a script (`node dist/cli/main.js`), this file hands over
 * to the package's bin (bin.cts), which decides which thread runs them.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export { EXIT, main } from './commands.js';

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
// Also through a link named after the bin, as an older install may have made.
if (invokedDirectly || process.argv[1]?.endsWith('esm-sandbox')) createRequire(import.meta.url)('./bin.cjs');
