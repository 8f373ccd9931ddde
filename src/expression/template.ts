/**
 * `compileTemplate(text, { escape })`: `{{ expression }}` interpolations compiled with the same
 * grammar and runtime as `compileExpression`, into one realm function that shares one budget.
 * Positions in errors are positions in the template text.
 */
import { ExpressionRefusedError } from '../errors/errors.js';
import { LruCache } from './cache.js';
import { Emitter } from './codegen.js';
import {
  DEFAULT_BUDGET,
  finish,
  generate,
  hostFunctions,
  parseRegion,
  type ExpressionOptions,
  type HostFunction,
  type Plan,
} from './compile.js';
import { DEFAULT_MAX_LENGTH } from './grammar.js';
import { locationOf } from './location.js';
import { compileInRealm } from './realm.js';

export interface TemplateOptions extends ExpressionOptions {
  /** `'html'` (default) escapes `& < > " '`; `false` inserts values as they are; a function escapes each interpolated string. */
  escape?: 'html' | false | ((text: string) => string);
}

/** A compiled template: call it with a scope to render it. */
export type Template<Scope extends object = Record<string, unknown>> = ((scope?: Scope) => string) & {
  readonly source: string;
  readonly identifiers: readonly string[];
};

/** Longest template accepted by default (characters); each interpolation also obeys `maxLength`. */
export const DEFAULT_MAX_TEMPLATE_LENGTH = 1_000_000;
/** The host name the generated code uses for an escape function; not a valid user function name. */
const ESCAPE_NAME = '\u0000escape';

const cache = new LruCache<Plan>();

export function compileTemplate<Scope extends object = Record<string, unknown>>(
  text: string,
  options: TemplateOptions = {},
): Template<Scope> {
  if (typeof text !== 'string') throw new TypeError('compileTemplate: the text must be a string');
  const escape = options.escape === undefined ? 'html' : options.escape;
  if (escape !== 'html' && escape !== false && typeof escape !== 'function')
    throw new TypeError("escape must be 'html', false or a function");
  const { names, fns } = hostFunctions(options.functions);
  if (typeof escape === 'function') {
    names.push(ESCAPE_NAME);
    fns.push(escape as HostFunction);
  }
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  const mode = escape === 'html' ? 'html' : escape === false ? 'raw' : 'fn';
  const key = `t\0${mode}\0${maxLength}\0${names.join(',')}\0${text}`;
  let plan = cache.get(key);
  if (!plan) {
    plan = planTemplate(text, names, maxLength, mode);
    cache.set(key, plan);
  }
  return finish<Scope, string>(plan, fns, options.budget ?? DEFAULT_BUDGET, text) as unknown as Template<Scope>;
}

function planTemplate(text: string, names: readonly string[], maxLength: number, mode: 'html' | 'raw' | 'fn'): Plan {
  if (text.length > DEFAULT_MAX_TEMPLATE_LENGTH) {
    throw new ExpressionRefusedError(
      `Refused: the template is longer than ${DEFAULT_MAX_TEMPLATE_LENGTH} characters`,
      locationOf(text, DEFAULT_MAX_TEMPLATE_LENGTH, DEFAULT_MAX_TEMPLATE_LENGTH + 1),
    );
  }
  const emitter = new Emitter(new Map(names.map((name, i) => [name, i])));
  emitter.position({ start: 0, end: text.length });
  const escapeIndex = names.indexOf(ESCAPE_NAME);
  const parts: string[] = [];
  let cost = 0;
  let from = 0;
  for (let open = text.indexOf('{{', from); open !== -1; open = text.indexOf('{{', from)) {
    if (open > from) parts.push(JSON.stringify(text.slice(from, open)));
    const { node, stop } = parseRegion(text, open + 2, text.length, maxLength, true);
    const generated = generate(text, emitter, node);
    cost += generated.cost;
    const p = emitter.position(node);
    parts.push(
      mode === 'html'
        ? `html(${generated.code}, ${p})`
        : mode === 'raw'
          ? `part(${generated.code}, ${p})`
          : `str(host(h${escapeIndex}, ${p}, [part(${generated.code}, ${p})]), ${p}, 'the escape function result')`,
    );
    from = stop + 2;
  }
  if (from < text.length) parts.push(JSON.stringify(text.slice(from)));
  const body = parts.length === 0 ? '""' : parts.length === 1 ? `("" + ${parts[0]})` : parts.join(' + ');
  return {
    text,
    positions: emitter.positions,
    identifiers: [...emitter.identifiers],
    bind: compileInRealm(body, cost, emitter.temps, emitter.memos.size, names.length, 'esm-sandbox:template'),
  };
}
