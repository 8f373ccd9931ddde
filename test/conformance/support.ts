/**
 * Conformance cases run inside the sandbox: a case is a small module, evaluated as a file under
 * fixtures/conformance/, that awaits what it checks and exports a plain report the host asserts on.
 * The comparisons that need the realm's own objects (identity, `constructor`) happen inside.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Sandbox } from '../../src/index.js';
import { fixtures } from '../helpers/sandbox.js';

export const root = fixtures('conformance');
/** The URL a fixture has inside the sandbox (the root's real path). */
export const urlOf = (file: string): string => pathToFileURL(realpathSync(fileURLToPath(new URL(file, root)))).href;
/** The root's URL inside the sandbox, with its trailing slash. */
export const rootUrl = `${pathToFileURL(realpathSync(fileURLToPath(root))).href}/`;

/** What `lib/outcome.mjs` says an `import()` settled with. */
export interface Outcome {
  fulfilled: boolean;
  keys?: string[];
  type?: string;
  /** `Object.is(rejection, the value the target recorded)`; null when no key was given. */
  same?: boolean | null;
  /** Which of the realm's error constructors is `rejection.constructor`. */
  constructor?: string | null;
  prototype?: string | null;
  instanceOf?: string[];
  name?: unknown;
  message?: unknown;
  code?: unknown;
  value?: unknown;
}

let cases = 0;

/** Evaluate `export default await <expression>` (with `outcomeOf` and `describe` in scope) in the sandbox. */
export async function inside<T = Outcome>(sandbox: Sandbox, expression: string): Promise<T> {
  const source = `import { outcomeOf, describe } from './lib/outcome.mjs';\nexport default await ${expression};\n`;
  const ns = await sandbox.evaluate(source, { filename: `case-${++cases}.mjs` });
  return ns.default as T;
}

/** How `import(specifier)` settles inside the sandbox; `key` names the value the target recorded before throwing. */
export function importInside(sandbox: Sandbox, specifier: string, key?: string, options?: string): Promise<Outcome> {
  const call = options === undefined ? `import('${specifier}')` : `import('${specifier}', ${options})`;
  return inside(sandbox, `outcomeOf(() => ${call}, ${key === undefined ? 'undefined' : `'${key}'`})`);
}

/** The log of modules that ran (`ran` of lib/record.mjs), as the sandbox has it now. */
export function ranInside(sandbox: Sandbox): Promise<string[]> {
  return inside<string[]>(sandbox, "import('./lib/record.mjs').then((m) => [...m.ran])");
}

/** A realm error of the constructor `name`, as `describe()` reports it. */
export function realmError(name: string): Partial<Outcome> {
  return {
    fulfilled: false,
    type: 'object',
    constructor: name,
    prototype: name,
    instanceOf: name === 'Error' ? ['Error'] : ['Error', name],
  };
}
