/**
 * Realm source: the sandbox's `console`. Each level (CONSOLE_LEVELS, passed in as one string)
 * hands the host its level and its arguments, as they are (the host copies them).
 *
 * In scope: g, apply, StringSplit, consoleLevels, callHost, hide.
 */
import { HostOp } from '../../realm-protocol.js';

export const CONSOLE_SOURCE = String.raw`
const consoleObject = {};
const levels = apply(StringSplit, consoleLevels, [',']);
for (let i = 0; i < levels.length; i++) {
  const level = levels[i];
  hide(consoleObject, level, { [level](...args) { callHost(${HostOp.Console}, level, args); } }[level]);
}
hide(g, 'console', consoleObject);
`;
