/**
 * One acorn parse per module, shared by the policy rules and the transform,
 * so a module is never parsed twice.
 */
import { Parser, type Program } from 'acorn';
import { indexedScopes } from './indexed-scopes.js';

export type { Program };

/** acorn with linear scope checks (see indexed-scopes.ts): large generated modules parse in linear time. */
const ModuleParser = Parser.extend(indexedScopes);

let parses = 0;

/**
 * How many modules this thread has parsed so far. The content-hash cache in analyze.ts exists so
 * this does not grow when unchanged files are imported again; the count lets a test (or a host
 * measuring its reload path) observe that without mocking anything.
 */
export function parseCount(): number {
  return parses;
}

/**
 * Parse CommonJS source with locations: a script whose top level is a function body (Node's
 * wrapper), so `return` is allowed there.
 */
export function parseScript(source: string): Program {
  parses++;
  return ModuleParser.parse(source, {
    ecmaVersion: 'latest',
    sourceType: 'script',
    locations: true,
    allowHashBang: true,
    allowReturnOutsideFunction: true,
  });
}

/** Parse ES module source with locations. Throws acorn's SyntaxError (with `loc` and `pos`) on bad input. */
export function parseModule(source: string): Program {
  parses++;
  return ModuleParser.parse(source, {
    ecmaVersion: 'latest',
    sourceType: 'module',
    locations: true,
    allowHashBang: true,
    allowAwaitOutsideFunction: false,
  });
}
