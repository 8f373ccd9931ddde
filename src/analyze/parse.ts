/**
 * One acorn parse per module, shared by the policy rules and the transform,
 * so a module is never parsed twice.
 */
import { parse, type Program } from 'acorn';

export type { Program };

/** Parse ES module source with locations. Throws acorn's SyntaxError (with `loc` and `pos`) on bad input. */
export function parseModule(source: string): Program {
  return parse(source, {
    ecmaVersion: 'latest',
    sourceType: 'module',
    locations: true,
    allowHashBang: true,
    allowAwaitOutsideFunction: false,
  });
}
