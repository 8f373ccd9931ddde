/**
 * Check and generate in one walk over acorn's AST: every node type is on an allow-list, and
 * each one emits JavaScript in which every property read, operator that could coerce, and call
 * goes through a runtime helper (runtime.ts, stdlib.ts). Anything else throws a `Refusal` with
 * the node's range. Static cost: one unit per node, charged once per evaluation for the top
 * level and once per call for each arrow body.
 */
import type { Node } from 'acorn';
import { FORBIDDEN_KEYS, REFUSED_GLOBALS, REFUSED_NODES } from './grammar.js';
import { checkRegex } from './regex.js';
import { FILTER_COUNT, MATH_CONSTANTS, METHODS, STDLIB, STDLIB_ROOTS, type CallableSpec } from './stdlib.js';

/** Deepest AST accepted (a long chain `a + a + ...` nests on the left). */
const MAX_AST_DEPTH = 200;

export class Refusal extends Error {
  constructor(
    readonly reason: string,
    readonly start: number,
    readonly end: number,
  ) {
    super(reason);
  }
}

/** The compiled form of one expression: a function body over the runtime's helpers. */
export interface Generated {
  /** JavaScript of the evaluation, an expression over `s` (the scope), `sv` (its view if frozen), the name
   * variables `n0`... (declared by the caller, starting as `UNREAD`) and the helpers. */
  code: string;
  /** Top-level static cost, charged once per evaluation. */
  cost: number;
  /** Temporaries the code assigns (`t0`...): declared by the caller. */
  temps: number;
}

/** What the generator shares across the parts of one compiled function (a template has many). */
export class Emitter {
  /** Source ranges, indexed by the position numbers the generated code passes to the helpers. */
  readonly positions: Array<readonly [number, number]> = [];
  readonly identifiers = new Set<string>();
  temps = 0;
  /** Scope names read once per evaluation, by name: the variable (`n0`...) that keeps each. */
  readonly memos = new Map<string, string>();
  private params: Array<Map<string, string>> = [];
  private costs: number[] = [0];
  private chain: string[] | undefined;
  /** The `.filter(f)` call whose `.length` is all that is read: it counts instead of building an array. */
  private counted: Node | undefined;
  private depth = 0;
  private arrows = 0;

  constructor(private readonly hostNames: ReadonlyMap<string, number>) {}

  /** Generate one top-level expression; its static cost is what it added to the current frame. */
  expression(node: Node): Generated {
    const before = this.costs[0]!;
    const code = this.gen(node);
    return { code, cost: this.costs[0]! - before, temps: this.temps };
  }

  position(node: { start: number; end: number }): number {
    this.positions.push([node.start, node.end]);
    return this.positions.length - 1;
  }

  private gen(node: Node): string {
    if (++this.depth > MAX_AST_DEPTH)
      throw new Refusal(`the expression is nested more than ${MAX_AST_DEPTH} levels deep`, node.start, node.end);
    this.costs[this.costs.length - 1]!++;
    try {
      return this.node(node as Any);
    } finally {
      this.depth--;
    }
  }

  private node(n: Any): string {
    switch (n.type) {
      case 'ParenthesizedExpression':
        this.costs[this.costs.length - 1]!--;
        return `(${this.gen(n.expression as Any)})`;
      case 'Literal':
        return this.literal(n);
      case 'Identifier':
        return this.identifier(n);
      case 'TemplateLiteral':
        return this.template(n);
      case 'MemberExpression':
        return this.member(n);
      case 'ChainExpression':
        return this.chainExpression(n);
      case 'CallExpression':
        return this.call(n);
      case 'LogicalExpression':
        return `(${this.gen(n.left)} ${n.operator} ${this.gen(n.right)})`;
      case 'ConditionalExpression':
        return `(${this.gen(n.test)} ? ${this.gen(n.consequent)} : ${this.gen(n.alternate)})`;
      case 'BinaryExpression':
        return this.binary(n);
      case 'UnaryExpression':
        return this.unary(n);
      case 'ArrayExpression':
        return `[${(n.elements as Array<Any | null>).map((e) => (e === null ? 'void 0' : this.gen(this.noSpread(e)))).join(', ')}]`;
      case 'ObjectExpression':
        return this.objectLiteral(n);
      case 'ArrowFunctionExpression':
        return refuse(n, 'an arrow function is only allowed as the callback of an array method (filter, map, reduce...)');
      default:
        return refuse(n, own(REFUSED_NODES, n.type as string) ?? `${n.type as string} is not part of the expression language`);
    }
  }

  private literal(n: Any): string {
    if (n.regex) {
      const { pattern, flags } = n.regex as { pattern: string; flags: string };
      const verdict = checkRegex(pattern, flags);
      if (!verdict.ok) refuse(n, verdict.reason);
      return `re(${JSON.stringify(pattern)}, ${JSON.stringify(flags)}, ${(verdict as { degree: number }).degree})`;
    }
    if (typeof n.value === 'string') return JSON.stringify(n.value);
    if (typeof n.bigint === 'string') return `${n.bigint as string}n`;
    if (typeof n.value === 'number') return `(${String(n.value)})`;
    return String(n.value); // null, true, false
  }

  private identifier(n: Any): string {
    const name = n.name as string;
    const param = this.param(name);
    if (param !== undefined) return param;
    if (name === 'undefined') return '(void 0)';
    if (name === 'NaN' || name === 'Infinity') return `(${name})`;
    if (REFUSED_GLOBALS.has(name)) refuse(n, `"${name}" is not available in an expression (unknown global)`);
    if (FORBIDDEN_KEYS.has(name) || name.startsWith('__')) refuse(n, `"${name}" is never read: it leads to prototypes and constructors`);
    if (STDLIB_ROOTS.has(name) || this.hostNames.has(name)) refuse(n, `"${name}" can only be called`);
    this.identifiers.add(name);
    // sv: the view of a frozen scope (data.ts), read with a plain load; a live scope goes through a descriptor.
    const key = JSON.stringify(name);
    const read = `(sv !== undefined ? sv[${key}] : gs(s, ${key}))`;
    // Without host functions nothing can change the scope during an evaluation: each name is read once.
    if (this.hostNames.size > 0) return read;
    let memo = this.memos.get(name);
    if (memo === undefined) this.memos.set(name, (memo = `n${this.memos.size}`));
    return `(${memo} !== UNREAD ? ${memo} : (${memo} = ${read}))`;
  }

  private param(name: string): string | undefined {
    for (let i = this.params.length - 1; i >= 0; i--) {
      const found = this.params[i]!.get(name);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  private template(n: Any): string {
    const quasis = n.quasis as Any[];
    const exprs = n.expressions as Any[];
    let out = JSON.stringify(quasis[0]!.value.cooked ?? '');
    exprs.forEach((e, i) => {
      out += ` + text(${this.gen(e)}, ${this.position(e)}) + ${JSON.stringify(quasis[i + 1]!.value.cooked ?? '')}`;
    });
    return `(${out})`;
  }

  /** The static key of `a.b` or `a["b"]`, refused when forbidden; undefined for a dynamic key. */
  private key(n: Any): string | number | undefined {
    const p = n.property as Any;
    if (p.type === 'PrivateIdentifier') refuse(p, 'private names are not part of the expression language');
    const key: unknown = !n.computed
      ? p.name
      : p.type === 'Literal' && (typeof p.value === 'string' || typeof p.value === 'number')
        ? p.value
        : undefined;
    if (typeof key === 'string' && (FORBIDDEN_KEYS.has(key) || key.startsWith('__')))
      refuse(p, `"${key}" is never read: it leads to prototypes and constructors`);
    return key as string | number | undefined;
  }

  private member(n: Any): string {
    if (n.object.type === 'Super') refuse(n.object, '`super` is not part of the expression language');
    if (n.object.type === 'Identifier' && n.object.name === 'Math' && !n.computed && this.param('Math') === undefined) {
      const value = own(MATH_CONSTANTS, n.property.name as string);
      if (value === undefined) refuse(n, `Math.${n.property.name as string} is not a Math constant (Math functions must be called)`);
      return `(${String(value)})`;
    }
    const key = this.key(n);
    if (key === 'length' && !n.computed && !n.optional && isFilterCall(n.object as Any)) {
      this.counted = n.object as Node;
      return this.gen(n.object as Any);
    }
    const object = this.operand(n.object as Any, n.optional as boolean);
    if (key === undefined) return `gc(${object}, ${this.gen(n.property as Any)}, ${this.position(n.property as Any)})`;
    return `g(${object}, ${JSON.stringify(key)}, ${this.position(n.property as Any)})`;
  }

  /** The object of a member or call, with `?.` turned into a guard of the enclosing chain. */
  private operand(n: Any, optional: boolean): string {
    let code = this.gen(n);
    if (optional) {
      const t = `t${this.temps++}`;
      this.chain!.push(`(${t} = ${code}) == null ? void 0 : `);
      code = t;
    }
    return code;
  }

  private chainExpression(n: Any): string {
    const outer = this.chain;
    this.chain = [];
    try {
      const inner = this.gen(n.expression as Any);
      return `(${this.chain.join('')}${inner})`;
    } finally {
      this.chain = outer;
    }
  }

  private call(n: Any): string {
    if (n.optional) refuse(n, 'an optional call `f?.()` is not part of the expression language');
    const counted = this.counted === n;
    this.counted = undefined;
    const callee = n.callee as Any;
    const args = n.arguments as Any[];
    if (callee.type === 'Identifier' && this.param(callee.name as string) === undefined) {
      const name = callee.name as string;
      const host = this.hostNames.get(name);
      if (host !== undefined) return `host(h${host}, ${this.position(n)}, [${this.args(args, { max: Infinity }, n)}])`;
      if (REFUSED_GLOBALS.has(name)) return refuse(callee, `"${name}" is not available in an expression (unknown global)`);
      const stdlib = own(STDLIB, name);
      if (stdlib) return `S[${JSON.stringify(name)}](${this.position(n)}${this.tail(args, stdlib, n)})`;
      return refuse(callee, `"${name}" is not a function of the standard library or of the host (\`functions\`)`);
    }
    if (callee.type !== 'MemberExpression' || callee.computed)
      return refuse(callee, 'only methods, the standard library and host functions can be called');
    const root = callee.object as Any;
    if (root.type === 'Identifier' && STDLIB_ROOTS.has(root.name as string) && this.param(root.name as string) === undefined) {
      const name = `${root.name as string}.${callee.property.name as string}`;
      const spec = own(STDLIB, name);
      if (!spec) return refuse(callee, `${name} is not part of the standard library`);
      return `S[${JSON.stringify(name)}](${this.position(n)}${this.tail(args, spec, n)})`;
    }
    const method = callee.property.name as string;
    this.key(callee);
    const spec = own(METHODS, method);
    if (!spec) return refuse(callee.property, `.${method}() is not an allowed method`);
    const object = this.operand(root, callee.optional as boolean);
    const target = counted ? `M[${JSON.stringify(FILTER_COUNT)}]` : `M.${method}`;
    return `${target}(${object}, ${this.position(callee.property as Any)}${this.tail(args, spec, n)})`;
  }

  private tail(args: Any[], spec: CallableSpec, call: Any): string {
    const list = this.args(args, spec, call);
    return list ? `, ${list}` : '';
  }

  private args(args: Any[], spec: CallableSpec, call: Any): string {
    if (args.length > spec.max) refuse(call, `this call takes at most ${spec.max} argument${spec.max === 1 ? '' : 's'}`);
    return args
      .map((a, i) => {
        const arrow = spec.arrows?.includes(i) ?? false;
        if (a.type === 'ArrowFunctionExpression') {
          if (!arrow) refuse(a, 'an arrow function is only allowed as the callback of an array method (filter, map, reduce...)');
          return this.arrow(a);
        }
        if (arrow) refuse(a, 'this argument must be an arrow function written in the expression');
        return this.gen(this.noSpread(a));
      })
      .join(', ');
  }

  private arrow(n: Any): string {
    this.costs[this.costs.length - 1]!++;
    if (n.async || n.generator || n.body.type === 'BlockStatement') refuse(n, 'an arrow function must be a plain `(x) => expression`');
    const params = n.params as Any[];
    if (params.length > 3) refuse(n, 'an arrow function takes at most 3 parameters');
    const scope = new Map<string, string>();
    for (const param of params) {
      if (param.type !== 'Identifier') refuse(param, 'arrow parameters must be plain names');
      const name = param.name as string;
      if (
        REFUSED_GLOBALS.has(name) ||
        STDLIB_ROOTS.has(name) ||
        this.hostNames.has(name) ||
        FORBIDDEN_KEYS.has(name) ||
        name.startsWith('__')
      )
        refuse(param, `"${name}" cannot be a parameter name`);
      scope.set(name, `a${this.arrows++}`);
    }
    this.params.push(scope);
    this.costs.push(0);
    const outerChain = this.chain;
    this.chain = undefined;
    try {
      const body = this.gen(n.body as Any);
      const cost = this.costs[this.costs.length - 1]!;
      return `((${[...scope.values()].join(', ')}) => (charge(${cost}, ${this.position(n)}), ${body}))`;
    } finally {
      this.chain = outerChain;
      this.costs.pop();
      this.params.pop();
    }
  }

  private binary(n: Any): string {
    const op = n.operator as string;
    if (op === 'in' || op === 'instanceof') refuse(n, `\`${op}\` is not part of the expression language`);
    const left = this.gen(n.left as Any);
    const right = this.gen(n.right as Any);
    const p = this.position(n);
    switch (op) {
      case '===':
      case '!==':
        return `(${left} ${op} ${right})`;
      case '==':
        return `loose(${left}, ${right}, ${p})`;
      case '!=':
        return `!loose(${left}, ${right}, ${p})`;
      case '+':
        return `add(${left}, ${right}, ${p})`;
      case '<':
      case '>':
      case '<=':
      case '>=':
      case '-':
      case '*':
      case '/':
      case '%':
        return `${FAST_OPS[op]!}(${left}, ${right}, ${p})`;
      default:
        return `arith("${op}", ${left}, ${right}, ${p})`;
    }
  }

  private unary(n: Any): string {
    const op = n.operator as string;
    if (op === 'delete') refuse(n, '`delete` is not part of the expression language');
    const arg = this.gen(n.argument as Any);
    if (op === '!') return `(!${arg})`;
    if (op === 'typeof' || op === 'void') return `(${op} ${arg})`;
    return `unary("${op}", ${arg}, ${this.position(n)})`;
  }

  private objectLiteral(n: Any): string {
    const props = (n.properties as Any[]).map((p) => {
      if (p.type === 'SpreadElement') refuse(p, 'spread `...` is not part of the expression language');
      if (p.kind !== 'init' || p.method || p.computed) refuse(p, 'object literals hold only `key: value` pairs with plain keys');
      const key: unknown = p.key.type === 'Identifier' ? p.key.name : p.key.value;
      if (typeof key !== 'string' && typeof key !== 'number') refuse(p.key, 'an object key must be a name, a string or a number');
      if (typeof key === 'string' && (FORBIDDEN_KEYS.has(key) || key.startsWith('__'))) refuse(p.key, `"${key}" cannot be an object key`);
      return `${JSON.stringify(String(key))}: ${this.gen(p.value as Any)}`;
    });
    return `({${props.join(', ')}})`;
  }

  private noSpread(n: Any): Any {
    if (n.type === 'SpreadElement') refuse(n, 'spread `...` is not part of the expression language');
    return n;
  }
}

// acorn's ESTree nodes, read by type tag (any: each visitor reads the fields of its own node type)
type Any = Node & Record<string, any>;

/** `x.filter(...)`, a plain method call (`.filter` of the standard library's `Array` is refused elsewhere). */
function isFilterCall(n: Any): boolean {
  const callee = n.callee as Any | undefined;
  return (
    n.type === 'CallExpression' &&
    !n.optional &&
    callee?.type === 'MemberExpression' &&
    !callee.computed &&
    callee.property.name === 'filter'
  );
}

/** A table entry of its own: `constructor` or `toString` must never come from `Object.prototype`. */
function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

function refuse(n: { start: number; end: number }, reason: string): never {
  throw new Refusal(reason, n.start, n.end);
}

/** Operators with a helper of their own (runtime.ts), the number case inlined. */
const FAST_OPS: Record<string, string> = { '<': 'lt', '>': 'gt', '<=': 'le', '>=': 'ge', '-': 'sub', '*': 'mul', '/': 'div', '%': 'mod' };
