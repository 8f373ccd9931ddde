/**
 * The fast paths of the data reads (src/expression/data.ts) keep the invariants when the data
 * changes between evaluations: objects already read (and remembered as not being Proxies) that
 * later grow a getter, change their prototype or are swapped for a Proxy; frozen objects, read
 * from a copy of their own data properties, next to the same data unfrozen; arrays with holes
 * whose prototype is a Proxy. Each expression is first evaluated often enough that every object
 * it reads is remembered (one miss in 32 is), so a fast path that trusted what it remembered
 * would be caught.
 */
import { types } from 'node:util';
import vm from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileExpression, ExpressionRuntimeError, type Expression } from '../../../src/index.js';
import { hostChanges, snapshotHost, type HostSnapshot } from '../../helpers/host.js';

const WARM = 256;

function warm<S extends object>(expr: Expression<S>, scope: S): unknown {
  let value: unknown;
  for (let i = 0; i < WARM; i++) value = expr(scope);
  return value;
}

/** A Proxy whose every trap counts and would hand out a secret. */
function trapped(target: object = {}): { proxy: object; traps: () => number } {
  let count = 0;
  const handler = new Proxy(
    {},
    {
      get: () => () => {
        count++;
        return 'LEAK';
      },
    },
  );
  return { proxy: new Proxy(target, handler), traps: () => count };
}

let before: HostSnapshot;
beforeEach(() => {
  before = snapshotHost();
});
afterEach(() => {
  expect(hostChanges(before, snapshotHost())).toEqual([]);
  // The realm still serves.
  expect(compileExpression('a + 1')({ a: 1 })).toBe(2);
});

describe('live objects read before are checked again on every read', () => {
  it('a data property that becomes an accessor reads as undefined; its getter never runs', () => {
    const user = { name: 'ada', age: 36 };
    const expr = compileExpression<{ user: typeof user }>('user.name');
    expect(warm(expr, { user })).toBe('ada');
    let ran = 0;
    Object.defineProperty(user, 'name', {
      get: () => {
        ran++;
        return 'LEAK';
      },
    });
    expect(expr({ user })).toBeUndefined();
    expect(compileExpression('user["na" + "me"]')({ user })).toBeUndefined();
    expect(ran).toBe(0);
    Object.defineProperty(user, 'name', { value: 'grace' });
    expect(expr({ user })).toBe('grace');
  });

  it('a scope name that becomes an accessor reads as undefined', () => {
    const scope = { total: 5 };
    const expr = compileExpression<typeof scope>('total * 2');
    expect(warm(expr, scope)).toBe(10);
    let ran = 0;
    Object.defineProperty(scope, 'total', {
      get: () => {
        ran++;
        return 1;
      },
    });
    expect(() => expr(scope)).not.toThrow();
    expect(expr(scope)).toBeNaN();
    expect(ran).toBe(0);
  });

  it('a prototype changed to one with a getter or a Proxy is never reached', () => {
    const user: Record<string, unknown> = { name: 'ada' };
    const expr = compileExpression<{ user: typeof user }>('[user.name, user.role]');
    expect(warm(expr, { user })).toEqual(['ada', undefined]);
    let ran = 0;
    Object.setPrototypeOf(user, {
      get role() {
        ran++;
        return 'admin';
      },
    });
    expect(expr({ user })).toEqual(['ada', undefined]);
    const { proxy, traps } = trapped();
    Object.setPrototypeOf(user, proxy);
    expect(expr({ user })).toEqual(['ada', undefined]);
    expect([ran, traps()]).toEqual([0, 0]);
  });

  it('a value swapped for a Proxy is refused before any trap runs', () => {
    const scope: { user: object } = { user: { name: 'ada' } };
    const expr = compileExpression<typeof scope>('user.name');
    expect(warm(expr, scope)).toBe('ada');
    const { proxy, traps } = trapped({ name: 'ada' });
    scope.user = proxy;
    expect(() => expr(scope)).toThrow(ExpressionRuntimeError);
    expect(() => compileExpression('Object.keys(user)')(scope)).toThrow(ExpressionRuntimeError);
    expect(traps()).toBe(0);
  });

  it('every new object is checked: a Proxy never passes because its check was not remembered', () => {
    const expr = compileExpression<{ user: object }>('user.name');
    let traps = 0;
    for (let i = 0; i < 100; i++) {
      const { proxy, traps: count } = trapped({ name: 'ada' });
      expect(() => expr({ user: proxy })).toThrow(ExpressionRuntimeError);
      expect(() => expr(proxy as { user: object })).toThrow(ExpressionRuntimeError);
      traps += count();
      expect(expr({ user: { name: i } })).toBe(i);
    }
    expect(traps).toBe(0);
  });

  it('an array element that becomes an accessor reads as undefined in every array method', () => {
    const items = [{ price: 5 }, { price: 20 }, { price: 30 }];
    const count = compileExpression<{ items: typeof items }>('items.filter(i => i?.price > 10).length');
    expect(warm(count, { items })).toBe(2);
    let ran = 0;
    Object.defineProperty(items, 1, {
      get: () => {
        ran++;
        return { price: 100 };
      },
    });
    expect(count({ items })).toBe(1);
    expect(compileExpression('items.map(i => i?.price)')({ items })).toEqual([5, undefined, 30]);
    expect(compileExpression('[items[1], items.at(1), items.indexOf(undefined), Array.from(items).length]')({ items })).toEqual([
      undefined,
      undefined,
      1,
      3,
    ]);
    expect(ran).toBe(0);
  });
});

describe('holes of an array never reach a prototype that could run code', () => {
  const sources = [
    'a.map(x => x)',
    'a.filter(x => true).length',
    'a.includes(5)',
    'a.indexOf("LEAK")',
    'Array.from(a)',
    'a.at(1)',
    'a.concat([0])',
    'a.join("-")',
    '[a].flat()',
    'a.slice(0)',
    'a.reverse()',
  ];

  it.each([false, true])('an array whose prototype is a Proxy (frozen: %s)', (frozen) => {
    const { proxy, traps } = trapped([]);
    const a = [1, , 3];
    Object.setPrototypeOf(a, proxy);
    if (frozen) Object.freeze(a);
    for (const source of sources) {
      const expr = compileExpression<{ a: unknown[] }>(source);
      const value = warm(expr, { a });
      expect(JSON.stringify(value) ?? '', source).not.toContain('LEAK');
    }
    expect(compileExpression('a.map(x => x)')({ a })).toEqual([1, undefined, 3]);
    expect(traps()).toBe(0);
  });

  it('an array whose prototype gets an indexed getter', () => {
    let ran = 0;
    const proto = Object.create(Array.prototype) as unknown[];
    Object.defineProperty(proto, 1, {
      get: () => {
        ran++;
        return 'LEAK';
      },
    });
    const a = [1, , 3];
    Object.setPrototypeOf(a, proto);
    for (const source of sources) warm(compileExpression(source), { a });
    expect(ran).toBe(0);
  });
});

describe('frozen data is read from a copy of its own data properties', () => {
  const data = () => ({
    user: { name: 'ada', age: 36, address: { city: { name: 'Paris' } } },
    items: [{ price: 5 }, { price: 20 }, { price: 30 }],
    tags: ['a', 'b'],
    a: null,
    b: 'fallback',
  });
  const deepFreeze = <T>(value: T): T => {
    if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
      Object.freeze(value);
      for (const child of Object.values(value)) deepFreeze(child);
    }
    return value;
  };
  const sources = [
    'user.address.city.name',
    'user.name.toUpperCase()',
    'items.filter(i => i.price > 10).length',
    'a ?? b',
    '`${user.name} (${user.age})`',
    'user.age * 2 + items.length > 10 ? user.name.toUpperCase() : "n/a"',
    '[tags[1], tags[5], tags.length, tags.map, user.toString, user.missing, items.at(-1).price]',
    'Object.entries(user).length + Object.keys(tags).length',
    'tags.concat(items.map(i => i.price)).join()',
  ];

  it.each(sources)('%s: the same value and the same cost, frozen or not', (source) => {
    const expr = compileExpression(source);
    const live = data();
    const frozen = deepFreeze(data());
    warm(expr, frozen);
    expect(expr.measure(frozen)).toEqual(expr.measure(live));
  });

  it('an accessor of a frozen object reads as undefined: its getter never runs, not even to copy it', () => {
    let ran = 0;
    const user = Object.freeze(
      Object.defineProperty({ name: 'ada' }, 'secret', {
        get: () => {
          ran++;
          return 'LEAK';
        },
        enumerable: true,
      }),
    );
    const scope = Object.freeze({
      user,
      get token() {
        ran++;
        return 'LEAK';
      },
    });
    expect(warm(compileExpression('[user.name, user.secret, token, Object.values(user)]'), scope)).toEqual([
      'ada',
      undefined,
      undefined,
      ['ada', undefined],
    ]);
    expect(ran).toBe(0);
  });

  it('inherited properties of a frozen object are not read, whatever its prototype', () => {
    const { proxy, traps } = trapped();
    const user = Object.freeze(Object.assign(Object.create({ role: 'admin' }) as object, { name: 'ada' }));
    // Defined, not assigned: an assignment would reach the Proxy prototype's set trap.
    const scope = Object.freeze(
      Object.create(proxy, { own: { value: 1, enumerable: true }, user: { value: user, enumerable: true } }) as object,
    );
    expect(warm(compileExpression('[own, inherited, user.name, user.role, user["toString"]]'), scope)).toEqual([
      1,
      undefined,
      'ada',
      undefined,
      undefined,
    ]);
    expect(traps()).toBe(0);
  });

  it('an unfrozen object held by a frozen one is still read live', () => {
    const user = { name: 'ada' };
    const scope = Object.freeze({ user });
    const expr = compileExpression<typeof scope>('user.name');
    expect(warm(expr, scope)).toBe('ada');
    let ran = 0;
    Object.defineProperty(user, 'name', {
      get: () => {
        ran++;
        return 'LEAK';
      },
    });
    expect(expr(scope)).toBeUndefined();
    expect(ran).toBe(0);
  });

  it('an object frozen after it was read live reads the same', () => {
    const user = { name: 'ada', tags: ['x'] };
    const expr = compileExpression<{ user: typeof user }>('[user.name, user.tags[0], user.tags.length]');
    expect(warm(expr, { user })).toEqual(['ada', 'x', 1]);
    user.name = 'grace';
    Object.freeze(user);
    Object.freeze(user.tags);
    expect(warm(expr, { user })).toEqual(['grace', 'x', 1]);
  });

  it('a sealed object, whose values can still change, is read live', () => {
    const user = Object.seal({ name: 'ada' });
    const expr = compileExpression<{ user: typeof user }>('user.name');
    expect(warm(expr, { user })).toBe('ada');
    user.name = 'grace';
    expect(expr({ user })).toBe('grace');
  });

  it('a frozen array larger than a copy is worth is read live, with the same result', () => {
    const big = Object.freeze(Array.from({ length: 5000 }, (_, i) => i));
    expect(warm(compileExpression('[big.length, big[4999], big.filter(x => x % 1000 === 0).length]'), { big })).toEqual([5000, 4999, 5]);
  });
});

describe('scope names read once per evaluation', () => {
  it('a name read twice gives the same value, and costs the same, as reading it twice', () => {
    const scope = { user: { name: 'ada', age: 36 } };
    const expr = compileExpression<typeof scope>('user.age > 30 ? user.name : user.age');
    expect(warm(expr, scope)).toBe('ada');
    expect(expr.measure(scope).cost).toBe(
      compileExpression('user.age > 30 ? user.name : user.age', { functions: { f: () => 0 } }).measure(scope).cost,
    );
  });

  it('with host functions a name is read again after a host function could have changed it', () => {
    const scope = { x: 1 };
    const bump = () => {
      scope.x++;
      return 0;
    };
    expect(compileExpression<typeof scope>('[x, bump(), x]', { functions: { bump } })(scope)).toEqual([1, 0, 2]);
  });
});

describe('the budget across nested evaluations', () => {
  it('an evaluation run by a host function in the middle of another spends its own budget', () => {
    const inner = compileExpression('items.map(x => x * 2).length');
    const items = Array.from({ length: 1000 }, (_, i) => i);
    const run = (spend: boolean) =>
      compileExpression('list.map(x => probe(x)).length', {
        budget: 40,
        functions: { probe: (x: number) => (spend ? inner({ items }) : x) },
      }).measure({ list: [1, 2, 3] });
    // The inner evaluation spends far more than the outer one has left: the outer must neither
    // fail for it nor inherit the inner's remaining budget.
    expect(run(true)).toEqual(run(false));
    const tight = compileExpression('list.map(x => probe(x)).length', { budget: 20, functions: { probe: () => inner({ items }) } });
    expect(() => tight({ list: Array.from({ length: 10 }, () => 1) })).toThrow(/budget/i);
  });
});

describe('vm contexts in the data', () => {
  /** A context whose contextified object is a Proxy that counts every trap. */
  function proxiedContext(): { contextified: object; global: object; traps: () => number } {
    const { proxy, traps } = trapped({ secret: 'LEAK' });
    const contextified = vm.createContext(proxy);
    return { contextified, global: vm.runInContext('this', contextified) as object, traps };
  }

  it('the contextified object of a Proxy (what vm.createContext returns) is refused before any trap runs', () => {
    const { contextified, traps } = proxiedContext();
    expect(() => compileExpression<object>('secret')(contextified)).toThrow(ExpressionRuntimeError);
    expect(() => compileExpression('c.secret')({ c: contextified })).toThrow(ExpressionRuntimeError);
    expect(traps()).toBe(0);
  });

  // A known limitation (docs/EXPRESSIONS.md, "The data is read, never run"): where Node's
  // interceptor answers a descriptor read of the global by reading the contextified Proxy (Node 20
  // to 24 at least), neither util.types.isProxy nor vm.isContext recognizes the global, and the
  // expression runs the trap: an expected failure. A Node whose global answers without the Proxy
  // makes this a plain test. If it starts to pass where the interceptor still forwards, Node has
  // given a way to tell such a global: refuse it and make this a plain test.
  const forwards = ((): boolean => {
    const { global, traps } = proxiedContext();
    try {
      Reflect.getOwnPropertyDescriptor(global, 'secret');
    } catch {
      // the trap's answer is not a descriptor: only whether it ran matters
    }
    return traps() > 0;
  })();
  (forwards ? it.fails : it)('a vm context global whose contextified object is a Proxy: reading it runs no trap', () => {
    const { global, traps } = proxiedContext();
    expect(types.isProxy(global)).toBe(false);
    expect(vm.isContext(global)).toBe(false);
    try {
      compileExpression('g.secret')({ g: global });
    } catch {
      // refused would be the fix
    }
    expect(traps()).toBe(0);
  });
});
