/**
 * One acorn parse per module, shared by the policy rules and the transform,
 * so a module is never parsed twice.
 *
 * acorn is loaded by `loadParser()`, before the first parse, not with the library: evaluating it
 * builds its Unicode tables (~3-5 ms in a new thread), and a thread that finds every file in a
 * cache (`esm-sandbox config` with a warm disk cache) never parses at all. The load step awaits
 * it on a miss (load/cached-analysis.ts); a bundle inlines the import, so no file is read.
 */
import type { Parser, Program } from 'acorn';
import { indexedScopes } from './indexed-scopes.js';

export type { Program };

/** acorn with linear scope checks (see indexed-scopes.ts): large generated modules parse in linear time. */
let moduleParser: typeof Parser | undefined;
let loading: Promise<void> | undefined;

let parses = 0;

/**
 * How many modules this thread has parsed so far. The content-hash cache in analyze.ts exists so
 * this does not grow when unchanged files are imported again; the count lets a test (or a host
 * measuring its reload path) observe that without mocking anything.
 */
export function parseCount(): number {
  return parses;
}

/** Whether this thread loaded the parser: a test observes that a load found whole in a cache does not. */
export function parserLoaded(): boolean {
  return moduleParser !== undefined;
}

/** Load acorn, once per thread: parseScript and parseModule need it. */
export function loadParser(): Promise<void> {
  return (loading ??= import('acorn').then(({ Parser }) => {
    moduleParser = Parser.extend(indexedScopes);
  }));
}

function parser(): typeof Parser {
  // A caller that parses must have awaited loadParser(): a bug here, never bad input.
  if (moduleParser === undefined) throw new Error('esm-sandbox internal error: a parse before loadParser()');
  return moduleParser;
}

/**
 * Parse CommonJS source with locations: a script whose top level is a function body (Node's
 * wrapper), so `return` is allowed there.
 */
export function parseScript(source: string): Program {
  const acorn = parser();
  parses++;
  return acorn.parse(source, {
    ecmaVersion: 'latest',
    sourceType: 'script',
    locations: true,
    allowHashBang: true,
    allowReturnOutsideFunction: true,
  });
}

/** Parse ES module source with locations. Throws acorn's SyntaxError (with `loc` and `pos`) on bad input. */
export function parseModule(source: string): Program {
  const acorn = parser();
  parses++;
  return acorn.parse(source, {
    ecmaVersion: 'latest',
    sourceType: 'module',
    locations: true,
    allowHashBang: true,
    allowAwaitOutsideFunction: false,
  });
}
