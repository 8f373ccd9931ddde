/**
 * The floor under compileExpression on live data (issue 15): what one property read costs when no
 * getter may run and no Proxy trap may be reached, next to a plain read in the same run. An
 * expression on live data cannot read a property for less than its descriptor (or, for an array
 * element, __lookupGetter__) plus the Proxy check of its object; on frozen data, a view costs one
 * WeakMap lookup per object and a plain load per property. Read the `min` column (ms per INNER reads).
 *
 * Run: npx vitest bench --run test/bench/expression-floor.bench.ts
 */
import { types } from 'node:util';
import { bench, describe } from 'vitest';

const INNER = 1_000;
const OPTIONS = { iterations: 300, warmupIterations: 50, time: 0 };
const gopd = Reflect.getOwnPropertyDescriptor;
const isProxy = types.isProxy;
const lookupGetterOf = (Object.prototype as { __lookupGetter__(k: PropertyKey): unknown }).__lookupGetter__;
const lookupGetter = (o: object, k: PropertyKey): unknown => Reflect.apply(lookupGetterOf, o, [k]);
const OBJECTS = Array.from({ length: 16 }, (_, k) => ({ name: `ada${k}`, age: k }));
const ARRAYS = Array.from({ length: 16 }, (_, k) => [k, k + 1, k + 2]);
const checked = new WeakSet<object>(OBJECTS);
const views = new WeakMap<object, { name: string }>(OBJECTS.map((o) => [o, { ...o }]));
let sink: unknown;

describe('one property read of a live object', () => {
  bench(
    'plain o.name (no guard: the new Function baseline)',
    () => {
      for (let i = 0; i < INNER; i++) sink = OBJECTS[i & 15]!.name;
    },
    OPTIONS,
  );
  bench(
    'descriptor: Reflect.getOwnPropertyDescriptor(o, "name").value',
    () => {
      for (let i = 0; i < INNER; i++) sink = gopd(OBJECTS[i & 15]!, 'name')?.value;
    },
    OPTIONS,
  );
  bench(
    'Proxy check remembered (WeakSet.has) + descriptor: a live read in the runtime',
    () => {
      for (let i = 0; i < INNER; i++) {
        const o = OBJECTS[i & 15]!;
        sink = checked.has(o) ? gopd(o, 'name')?.value : undefined;
      }
    },
    OPTIONS,
  );
  bench(
    'Proxy check asked (util.types.isProxy) + descriptor: a new object',
    () => {
      for (let i = 0; i < INNER; i++) {
        const o = OBJECTS[i & 15]!;
        sink = isProxy(o) ? undefined : gopd(o, 'name')?.value;
      }
    },
    OPTIONS,
  );
  bench(
    'view (WeakMap.get + load): a frozen object',
    () => {
      for (let i = 0; i < INNER; i++) sink = views.get(OBJECTS[i & 15]!)?.name;
    },
    OPTIONS,
  );
});

describe('one element read of a live array', () => {
  bench(
    'plain a[1]',
    () => {
      for (let i = 0; i < INNER; i++) sink = ARRAYS[i & 15]![1];
    },
    OPTIONS,
  );
  bench(
    '__lookupGetter__(a, 1) === undefined ? a[1] : undefined',
    () => {
      for (let i = 0; i < INNER; i++) {
        const a = ARRAYS[i & 15]!;
        sink = lookupGetter(a, 1) === undefined ? a[1] : undefined;
      }
    },
    OPTIONS,
  );
  bench(
    'descriptor of an index',
    () => {
      for (let i = 0; i < INNER; i++) sink = gopd(ARRAYS[i & 15]!, 1)?.value;
    },
    OPTIONS,
  );
});

export { sink };
