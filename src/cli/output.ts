/**
 * How the CLI shows values and errors: JSON for machines, `util.inspect` for people.
 */
import { inspect, styleText } from 'node:util';
import { formatDiagnostic } from '../analyze/policy/format.js';
import { EsmSandboxError, PolicyError } from '../errors/errors.js';

/** JSON that keeps what a config or result usually holds: Maps as objects, Sets as arrays, functions named. */
export function toJson(value: unknown): string {
  return (
    JSON.stringify(
      value,
      (_key, v: unknown) => {
        if (v instanceof Map) return Object.fromEntries(v);
        if (v instanceof Set) return [...v];
        if (typeof v === 'function') return `[Function: ${v.name || 'anonymous'}]`;
        if (typeof v === 'bigint') return v.toString();
        if (v instanceof RegExp) return v.toString();
        if (v instanceof Error) return { name: v.name, message: v.message };
        return v;
      },
      2,
    ) ?? 'undefined'
  );
}

export function show(value: unknown, color: boolean): string {
  return inspect(value, { depth: 8, colors: color, breakLength: 100 });
}

export function describeError(error: unknown, color: boolean): string {
  // validateStream off: the caller decided on colour (a TTY seen from the main thread, even when this runs in a worker).
  const paint = (format: Parameters<typeof styleText>[0], text: string) =>
    color ? styleText(format, text, { validateStream: false }) : text;
  if (error instanceof PolicyError) {
    // The same lines `esm-sandbox check` prints, so a refused run and a check read alike.
    const lines = error.diagnostics.map((d) => formatDiagnostic(d, { color }));
    return `${paint('red', 'PolicyError')} [${error.code}]: ${error.diagnostics.filter((d) => d.severity === 'error').length} error(s)\n\n${lines.join('\n\n')}`;
  }
  if (error instanceof EsmSandboxError) return error.stack ?? error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
