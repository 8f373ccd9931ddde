/**
 * The floor of each expression the benches measure: the `new Function` closure of the same
 * source with every read of the data replaced by the least an evaluator needs to keep the
 * invariants of src/expression/data.ts on live data, and nothing else (no budget, no coercion
 * checks, no positions). Each object read from is checked once per evaluation not to be a Proxy
 * (a remembered verdict, `WeakSet.has`, or `util.types.isProxy` for an object never seen); each
 * property costs its own descriptor; each array element costs `__lookupGetter__` and a load. An
 * evaluator that keeps the invariants cannot do less: the floor is a lower bound, not a target
 * that was tuned to be reachable.
 *
 * `reads` says what a row's floor is made of, so the count is printed next to the time.
 */
import { types } from 'node:util';

const lookupGetterOf = (Object.prototype as { __lookupGetter__(k: PropertyKey): unknown }).__lookupGetter__;
/** Verdicts remembered for long-lived data, as the runtime keeps them. */
const checked = new WeakSet<object>();

export function remember(value: unknown): void {
  if (typeof value !== 'object' || value === null || checked.has(value)) return;
  checked.add(value);
  for (const child of Object.values(value)) remember(child);
}

type Scope = Record<string, unknown>;
export interface Floor {
  reads: string;
  run: (s: Scope) => unknown;
}

/**
 * The helpers each floor is compiled with, in its own `new Function`, so that no floor shares
 * the inline caches of another (shared helpers would turn megamorphic and slow every floor down,
 * and a floor must be the least a read costs). check: the Proxy check of an object read from,
 * remembered or asked; ask: the same for an object never seen, without the WeakSet; own: one property of an object already checked in this evaluation;
 * element: one element of an array already checked (an ordinary Array.prototype); escape: the
 * html escape a template must do, skipped when nothing needs it.
 */
const HELPERS = `
function check(o) {
  if (typeof o !== 'object' || o === null) throw new TypeError('not an object');
  if (!checked.has(o) && isProxy(o)) throw new TypeError('a Proxy');
  return o;
}
/** The Proxy check of an object never seen: asked, nothing remembered. */
function ask(o) {
  if (typeof o !== 'object' || o === null) throw new TypeError('not an object');
  if (isProxy(o)) throw new TypeError('a Proxy');
  return o;
}
function own(o, key) { const d = gopd(o, key); return d === undefined ? undefined : d.value; }
function element(a, i) { return apply(lookupGetterOf, a, [i]) === undefined ? a[i] : undefined; }
const SPECIAL = /[&<>"']/, SPECIALS = /[&<>"']/g, HTML = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function escape(v) { return typeof v === 'string' && SPECIAL.test(v) ? v.replace(SPECIALS, (c) => HTML[c]) : v; }
`;

function floor(reads: string, body: string): Floor {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- a closure of its own per floor, as new Function baselines are
  const make = new Function('gopd', 'apply', 'lookupGetterOf', 'checked', 'isProxy', `${HELPERS}\nreturn (s) => { ${body} };`) as (
    ...helpers: unknown[]
  ) => Floor['run'];
  return { reads, run: make(Reflect.getOwnPropertyDescriptor, Reflect.apply, lookupGetterOf, checked, types.isProxy) };
}

/** By source, the floors of the expressions of expressions.bench.ts. */
export const FLOORS: Record<string, Floor> = {
  'user.address.city.name': floor(
    '4 checks, 4 descriptors',
    "return own(check(own(check(own(check(own(check(s), 'user')), 'address')), 'city')), 'name');",
  ),
  'user.name.toUpperCase()': floor('2 checks, 2 descriptors', "return own(check(own(check(s), 'user')), 'name').toUpperCase();"),
  'items.filter(i => i.price > 10).length': floor(
    '12 checks, 11 descriptors, 10 elements',
    `const items = check(own(check(s), 'items'));
     let count = 0;
     for (let i = 0; i < items.length; i++) if (own(check(element(items, i)), 'price') > 10) count++;
     return count;`,
  ),
  'a ?? b': floor('1 check, 1.5 descriptors', "check(s); return own(s, 'a') ?? own(s, 'b');"),
  '`${user.name} (${user.age})`': floor(
    '2 checks, 3 descriptors',
    "const user = check(own(check(s), 'user')); return `${own(user, 'name')} (${own(user, 'age')})`;",
  ),
  'price * quantity * (1 + tax) - 5': floor(
    '1 check, 4 descriptors',
    "check(s); return own(s, 'price') * own(s, 'quantity') * (1 + own(s, 'tax')) - 5;",
  ),
  'user.age * 2 + items.length > 10 ? user.name.toUpperCase() : "n/a"': floor(
    '3 checks, 4 descriptors',
    `check(s); const user = check(own(s, 'user'));
     return own(user, 'age') * 2 + check(own(s, 'items')).length > 10 ? own(user, 'name').toUpperCase() : 'n/a';`,
  ),
  'user.age * 2 + count > 10 ? user.name : "n/a"': floor(
    '2 checks, 4 descriptors',
    "check(s); const user = check(own(s, 'user')); return own(user, 'age') * 2 + own(s, 'count') > 10 ? own(user, 'name') : 'n/a';",
  ),
};

/** `user.age + n` on a new scope per call: the scope is asked, `user` remembered, or asked too when new. */
export function newScopeFloor(userIsNew: boolean): Floor {
  return floor(
    `2 checks (the scope${userIsNew ? ' and user' : ''} asked), 3 descriptors`,
    `return own(${userIsNew ? 'ask' : 'check'}(own(ask(s), 'user')), 'age') + own(s, 'n');`,
  );
}

/** The floor of a template of `<td>{{ fN }}</td>` cells over one flat row: one check, a descriptor per cell. */
export function templateFloor(fields: readonly string[], html: boolean): Floor {
  const cell = (f: string) => (html ? `escape(own(s, ${JSON.stringify(f)}))` : `own(s, ${JSON.stringify(f)})`);
  return floor(
    `1 check, ${fields.length} descriptors${html ? ', an escape test per string' : ''}`,
    `check(s); return \`${fields.map((f) => `<td>\${${cell(f)}}</td>`).join('')}\`;`,
  );
}
