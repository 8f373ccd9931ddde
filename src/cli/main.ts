#!/usr/bin/env node
/**
 * esm-sandbox CLI.
 *
 *   esm-sandbox run <file> [--allow spec=host-module.mjs ...] [--root dir] [--timeout ms] [--deadline ms] [--json] [--policy preset|off]
 *   esm-sandbox check <file> [--json] [--preset strict] [--rule id=severity ...]
 *
 * Exit codes: 0 success; 1 the module failed (load, policy, thrown, timeout, deadline); 2 bad usage.
 * Without --experimental-vm-modules the CLI runs itself in a worker thread that has it.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { createSandbox, hasVmModules } from '../sandbox/create.js';
import type { ModuleDefinition, PolicyOptions } from '../types.js';
import { describeError, show, toJson } from './output.js';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const USAGE = `Usage:
  esm-sandbox run <file> [options]     run a module in a sandbox and print its default export
  esm-sandbox check <file> [options]   report policy findings for a module graph without running it

Options for run:
  --root <dir>            directory the sandbox may import from (default: the file's directory)
  --allow <spec=file>     allow-list a specifier, backed by a trusted host module (repeatable)
  --timeout <ms>          CPU per turn (default 1000)
  --deadline <ms>         wall clock per operation (default 10000)
  --policy <preset|off>   recommended (default), strict, or off
  --json                  print the result as JSON
  -h, --help              show this help

Exit codes: 0 success, 1 the module failed, 2 bad usage.`;

class UsageError extends Error {}

interface Io {
  out(text: string): void;
  err(text: string): void;
  color: boolean;
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        root: { type: 'string' },
        allow: { type: 'string', multiple: true },
        timeout: { type: 'string' },
        deadline: { type: 'string' },
        policy: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        preset: { type: 'string' },
        rule: { type: 'string', multiple: true },
      },
    });
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const [command, file, ...extra] = positionals;
  if (values.help || command === undefined) {
    (values.help ? io.out : io.err)(USAGE);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  try {
    if (command === 'run') {
      if (file === undefined || extra.length > 0) throw new UsageError('run takes exactly one <file>');
      return await run(file, values, io);
    }
    if (command === 'check') {
      if (file === undefined || extra.length > 0) throw new UsageError('check takes exactly one <file>');
      const { check } = await import('./check.js');
      return await check(file, values, io);
    }
    throw new UsageError(`unknown command "${command}"`);
  } catch (error) {
    if (error instanceof UsageError || error instanceof TypeError) {
      io.err(`esm-sandbox: ${error.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    io.err(describeError(error, io.color));
    return EXIT.failed;
  }
}

interface RunFlags {
  root?: string;
  allow?: string[];
  timeout?: string;
  deadline?: string;
  policy?: string;
  json?: boolean;
}

async function run(file: string, flags: RunFlags, io: Io): Promise<number> {
  const absolute = path.resolve(file);
  const root = path.resolve(flags.root ?? path.dirname(absolute));
  const relative = path.relative(root, absolute);
  if (relative.startsWith('..') || path.isAbsolute(relative)) throw new UsageError(`${file} is not inside --root ${root}`);
  const sandbox = createSandbox({
    root,
    modules: await allowList(flags.allow ?? []),
    timeout: milliseconds('--timeout', flags.timeout),
    deadline: milliseconds('--deadline', flags.deadline),
    policy: policyFlag(flags.policy),
    console: (level, args) => io.err(`[sandbox ${level}] ${args.map((a) => (typeof a === 'string' ? a : show(a, io.color))).join(' ')}`),
    onWarning: (d) => io.err(`${d.file}:${d.line}:${d.column + 1}  warning  ${d.message}  (${d.ruleId})`),
  });
  try {
    const ns = await sandbox.import(`./${relative.split(path.sep).join('/')}`);
    const result = 'default' in ns ? ns.default : ns;
    io.out(flags.json ? toJson(result) : show(result, io.color));
    return EXIT.ok;
  } finally {
    await sandbox.dispose();
  }
}

/** `--allow spec=./host-module.mjs`: the host module (trusted, loaded natively) provides the exports. */
async function allowList(entries: string[]): Promise<Record<string, ModuleDefinition>> {
  const modules: Record<string, ModuleDefinition> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new UsageError(`--allow ${entry}: expected <specifier>=<host module file>`);
    const specifier = entry.slice(0, eq);
    const hostModule = path.resolve(entry.slice(eq + 1));
    modules[specifier] = { ...(await import(pathToFileURL(hostModule).href) as ModuleDefinition) };
  }
  return modules;
}

function milliseconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0)) throw new UsageError(`${flag} must be a positive number of milliseconds, got "${value}"`);
  return n;
}

function policyFlag(value: string | undefined): PolicyOptions | false | undefined {
  if (value === undefined) return undefined;
  if (value === 'off') return false;
  if (value === 'recommended' || value === 'strict') return { preset: value };
  throw new UsageError(`--policy must be recommended, strict or off, got "${value}"`);
}

const stdio: Io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  color: (workerData as { color?: boolean } | undefined)?.color ?? (process.stdout.isTTY === true && !process.env.NO_COLOR),
};

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (!isMainThread && (workerData as { esmSandboxCli?: boolean } | undefined)?.esmSandboxCli) {
  process.exitCode = await main(process.argv.slice(2), stdio);
} else if (invokedDirectly || process.argv[1]?.endsWith('esm-sandbox')) {
  if (hasVmModules) {
    process.exitCode = await main(process.argv.slice(2), stdio);
  } else {
    // This process lacks vm.SourceTextModule: run the same CLI in a worker that has it.
    const worker = new Worker(new URL(import.meta.url), {
      argv: process.argv.slice(2),
      execArgv: [...process.execArgv, '--experimental-vm-modules', '--disable-warning=ExperimentalWarning'],
      workerData: { esmSandboxCli: true, color: stdio.color },
    });
    worker.on('error', (error) => { process.stderr.write(`${describeError(error, false)}\n`); process.exitCode = EXIT.failed; });
    worker.on('exit', (code) => { if (process.exitCode === undefined || process.exitCode === 0) process.exitCode = code; });
  }
}
