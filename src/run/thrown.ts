/**
 * What sandbox code threw, as a host error: a `SandboxError` with the sandbox error's name and
 * message, the user's frames (esm-sandbox's own are never in them), and a code frame at the
 * first of them. Errors of esm-sandbox that went into the sandbox come back as their own class.
 */
import { inspect } from 'node:util';
import { isNativeError } from '../commons.js';
import { SandboxError } from '../errors/errors.js';
import { codeFrame } from '../errors/frame.js';
import { formatFrames, parseFrames } from '../errors/stack-frames.js';
import type { ThrownInfo } from '../realm-protocol.js';

/**
 * @param info the strings `describe()` took from the value inside the turn
 * @param copy a host copy of the thrown value (descriptive: functions and getters named, not run)
 * @param sourceOf the original source of a module URL, for the code frame
 */
export function thrownToHost(info: ThrownInfo, copy: unknown, sourceOf: (url: string) => string | undefined): SandboxError {
  let [name, message] = info;
  const code = info[3];
  const rawFrames = info[4];
  // `throw { a: 1 }`: describe() found no string name or message. Say what was thrown instead of
  // "Error: ", from the host copy (plain data: inspecting it runs no sandbox code).
  if (name === 'Error' && message === '' && copy !== null && typeof copy === 'object' && !isNativeError(copy)) {
    name = 'object'; // `typeof`, as for other non-errors (SandboxError.sandboxName)
    message = inspect(copy, { depth: 2, breakLength: Infinity, maxArrayLength: 10, maxStringLength: 80, customInspect: false }).slice(
      0,
      200,
    );
  }
  const frames = parseFrames(rawFrames);
  const top = frames[0];
  const source = top ? sourceOf(top.url) : undefined;
  const error = new SandboxError(name, message, copy, {
    url: top?.url,
    line: top?.line,
    column: top?.column,
    frame: source && top ? codeFrame(source, top.line, top.column - 1) : undefined,
    frames: formatFrames(frames),
  });
  if (code !== '') Object.defineProperty(error, 'sandboxCode', { value: code, enumerable: true });
  return error;
}
