/**
 * The CLI's commands: argument parsing, dispatch, exit codes. Free of side effects on import, so
 * the launcher (main.ts) and the bundled worker side (bundle-entry.ts) share it.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DEADLINE_MS, DEFAULT_TIMEOUT_MS } from '../constants.js';
import type { Io, SandboxFlags } from './flags.js';

// The rest of the CLI is imported when a command runs: a process without vm.SourceTextModule only
// starts a worker in main.ts, and loading esm-sandbox in both threads cost ~40% of a short command.
const flagsModule = () => import('./flags.js');
const outputModule = () => import('./output.js');

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const USAGE = `Usage:
  esm-sandbox run <file> [options]     run a module in a sandbox and print its default export
  esm-sandbox config <file> [options]  load a config file (app.config.mjs) and print it
  esm-sandbox check <file> [options]   report policy findings for a module graph without running it
  esm-sandbox eval '<expression>'      evaluate an expression (docs/EXPRESSIONS.md) and print its value
  esm-sandbox render <template-file>   render a {{ expression }} template and print it
  esm-sandbox watch <file> [options]   run a module and again on every change, printing its default export or the error

Options for run, watch and config:
  --root <dir>            directory the sandbox may import from (default: the file's directory)
  --allow <spec=file>     allow-list a specifier, backed by a trusted host module (repeatable)
  --package <name>        let sandbox code import this npm package from node_modules (repeatable)
  --condition <name>      a package exports condition (repeatable; default import, default)
  --node-env <value>      process.env.NODE_ENV inside a sandbox with packages (default production)
  --timeout <ms>          time per turn, each entry into sandbox code (default ${DEFAULT_TIMEOUT_MS})
  --deadline <ms>         wall clock per operation (default ${DEFAULT_DEADLINE_MS})
  --policy <preset|off>   recommended (default), strict, or off
  --isolation <mode>      auto (default), context, worker or process (a child process)
  --memory-limit <mb>     heap cap; runs the sandbox in a worker (or the child of --isolation process)
  --cache-dir <dir>       keep analysis and V8 code cache here across runs
                          (default: node_modules/.cache/esm-sandbox of the nearest package)
  --no-cache              no cache on disk
  --json                  print the result as JSON
  -h, --help              show this help

Options for config only:
  --mode <mode>           passed to a function config (default production)
  --command <command>     passed to a function config (default build)
  --env <NAME>            let the config read this environment variable (repeatable)

Options for check (nothing is run; every module of the import graph is analysed):
  --root <dir>            directory imports may resolve in (default: the file's directory)
  --allow <spec>          treat a specifier as allow-listed (repeatable; spec=file accepted, the file is not loaded)
  --package <name>        resolve this npm package as a sandbox with packages would (repeatable)
  --condition <name>      a package exports condition (repeatable; default import, default)
  --preset <name>         recommended (default) or strict
  --rule <id=severity>    set one rule to off, warn or error (repeatable)
  --json                  print every diagnostic as a JSON array

Options for eval and render:
  --scope <file.json>     the scope: a JSON object whose keys the expression reads
  --budget <units>        cost units one evaluation may spend (default 250000)
  --json                  eval: print the value as JSON
  --escape <html|none>    render: escape interpolations as HTML (default) or not at all

Exit codes: 0 success (check: no errors, warnings allowed), 1 the module failed (check: errors found), 2 bad usage.`;

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [{ UsageError }, { describeError }] = await Promise.all([flagsModule(), outputModule()]);
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
        isolation: { type: 'string' },
        'memory-limit': { type: 'string' },
        mode: { type: 'string' },
        command: { type: 'string' },
        env: { type: 'string', multiple: true },
        package: { type: 'string', multiple: true },
        condition: { type: 'string', multiple: true },
        'node-env': { type: 'string' },
        'cache-dir': { type: 'string' },
        'no-cache': { type: 'boolean' },
        scope: { type: 'string' },
        budget: { type: 'string' },
        escape: { type: 'string' },
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
    if (command === 'watch') {
      if (file === undefined || extra.length > 0) throw new UsageError('watch takes exactly one <file>');
      const { watch } = await import('./watch.js');
      return await watch(file, values, io);
    }
    if (command === 'config') {
      if (file === undefined || extra.length > 0) throw new UsageError('config takes exactly one <file>');
      const { config } = await import('./config.js');
      return await config(file, values, io);
    }
    if (command === 'eval' || command === 'render') {
      if (file === undefined || extra.length > 0)
        throw new UsageError(`${command} takes exactly one ${command === 'eval' ? "'<expression>'" : '<template-file>'}`);
      const { evaluateCommand, renderCommand } = await import('./expression.js');
      return await (command === 'eval' ? evaluateCommand : renderCommand)(file, values, io);
    }
    throw new UsageError(`unknown command "${command}"`);
  } catch (error) {
    // Only what the CLI itself raised for usage: a TypeError from a host module (--allow) or
    // from esm-sandbox is a failure of the run, not of the command line.
    if (error instanceof UsageError) {
      io.err(`esm-sandbox: ${error.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    io.err(describeError(error, io.color));
    return EXIT.failed;
  }
}

async function run(file: string, flags: SandboxFlags & { json?: boolean }, io: Io): Promise<number> {
  const [{ createSandbox }, { entrySpecifier, rootFlag, sandboxOptions }, { show, toJson }, { makeNoWarmRealms }] = await Promise.all([
    import('../create.js'),
    flagsModule(),
    outputModule(),
    import('../run/warm-realms.js'),
  ]);
  // One sandbox, then the process ends.
  makeNoWarmRealms();
  const root = flags.root === undefined ? path.dirname(path.resolve(file)) : rootFlag(flags.root);
  const entry = entrySpecifier(file, root);
  const sandbox = createSandbox({
    ...(await sandboxOptions(flags, io)),
    root,
    console: (level, args) => io.err(`[sandbox ${level}] ${args.map((a) => (typeof a === 'string' ? a : show(a, io.color))).join(' ')}`),
    onWarning: (d) => io.err(`${d.file}:${d.line}:${d.column}  warning  ${d.message}  (${d.ruleId})`),
  });
  try {
    const ns = await sandbox.import(entry);
    const result = 'default' in ns ? ns.default : ns;
    io.out(flags.json ? toJson(result) : show(result, io.color));
    return EXIT.ok;
  } finally {
    await sandbox.dispose();
  }
}
