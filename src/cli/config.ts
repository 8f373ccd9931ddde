/**
 * `esm-sandbox config <file>`: load a config the way a tool would and print the result.
 * Functions in it (plugin hooks) are shown by name; their sandbox is freed before exit.
 */
import path from 'node:path';
import { loadConfig } from '../config/load-config.js';
import { formatDiagnostic } from '../analyze/policy/format.js';
import { makeNoWarmRealms } from '../run/warm-realms.js';
import { rootFlag, sandboxOptions, type Io, type SandboxFlags } from './flags.js';
import { show, toJson } from './output.js';

interface ConfigFlags extends SandboxFlags {
  json?: boolean;
  mode?: string;
  command?: string;
  env?: string[];
}

export async function config(file: string, flags: ConfigFlags, io: Io): Promise<number> {
  // One sandbox, then the process ends.
  makeNoWarmRealms();
  const loaded = await loadConfig(path.resolve(file), {
    ...(await sandboxOptions(flags, io)),
    root: flags.root === undefined ? undefined : rootFlag(flags.root),
    mode: flags.mode,
    command: flags.command,
    env: flags.env ?? [],
    console: (level, args) => io.err(`[config ${level}] ${args.map((a) => (typeof a === 'string' ? a : show(a, io.color))).join(' ')}`),
  });
  try {
    for (const d of loaded.diagnostics) io.err(formatDiagnostic(d, { color: io.color }));
    io.out(flags.json ? toJson(loaded.config) : show(loaded.config, io.color));
    return 0;
  } finally {
    await loaded.dispose();
  }
}
