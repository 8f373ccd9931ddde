/**
 * `esm-sandbox watch <file>`: run a module, and again on every change of a file it loaded, in the
 * same process (a plugin host with one plugin), printing its default export or the error. A broken
 * edit prints the error and keeps the last good version; the command ends on SIGINT or SIGTERM.
 */
import path from 'node:path';
import { createPluginHost } from '../plugins/host.js';
import { describeError, show, toJson } from './output.js';
import { entrySpecifier, sandboxOptions, type Io, type SandboxFlags } from './flags.js';

export async function watch(file: string, flags: SandboxFlags & { json?: boolean }, io: Io, stop?: Promise<void>): Promise<number> {
  const root = path.resolve(flags.root ?? path.dirname(path.resolve(file)));
  const entry = entrySpecifier(file, root);
  const { isolation, ...options } = await sandboxOptions(flags, io);
  const host = await createPluginHost({
    ...options,
    root,
    plugins: { main: entry },
    isolation: isolation === 'context' ? 'context' : 'worker',
    hot: true,
    console: (level, args) => io.err(`[sandbox ${level}] ${args.map((a) => (typeof a === 'string' ? a : show(a, io.color))).join(' ')}`),
  });
  const print = () => {
    const exports = host.plugin('main').exports;
    const result = Object.hasOwn(exports, 'default') ? exports.default : exports;
    io.out(flags.json ? toJson(result) : show(result, io.color));
  };
  host.on('reloaded', print);
  host.on('rolled-back', (event) => io.err(describeError(event.error, io.color)));
  host.on('error', (error) => io.err(describeError(error, io.color)));
  const failure = host.status('main').lastError;
  if (failure === undefined) print();
  else io.err(describeError(failure.error, io.color));
  io.err(`esm-sandbox: watching ${root} (Ctrl-C to stop)`);
  await (stop ??
    new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    }));
  await host.close();
  return 0;
}
