/**
 * An acorn plugin that makes scope bookkeeping linear. Acorn keeps each scope's declared names in
 * arrays and checks every new declaration with `indexOf`, so a module with n top-level
 * declarations costs O(n²): a generated 10 MB module (99,000 `export const`) took 80 s to parse,
 * and a 16 MB file of `let a0, a1, ...` would hold the host for hours. Here the same arrays carry
 * a Set, so a miss (the usual case: no redeclaration) is O(1); the arrays stay arrays for the
 * rest of acorn.
 */
import type { Parser } from 'acorn';

/** A name list whose `indexOf` answers misses from a Set. Only `push` adds names in acorn's scope code. */
class NameList extends Array<string> {
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }
  private readonly names = new Set<string>();

  override push(...items: string[]): number {
    for (const item of items) this.names.add(item);
    return super.push(...items);
  }

  override indexOf(item: string, fromIndex?: number): number {
    return this.names.has(item) ? super.indexOf(item, fromIndex) : -1;
  }
}

interface AcornScope {
  var: string[];
  lexical: string[];
  functions: string[];
}
interface ScopedParser {
  scopeStack: AcornScope[];
}
type EnterScope = (this: unknown, flags: number) => void;

/** `Parser.extend(indexedScopes)`: same parse, same errors, without the quadratic scope checks. */
export function indexedScopes(Base: typeof Parser): typeof Parser {
  const enterScope = (Base.prototype as unknown as { enterScope: EnterScope }).enterScope;
  if (typeof enterScope !== 'function') return Base;
  return class IndexedScopeParser extends Base {
    enterScope(flags: number): void {
      enterScope.call(this, flags);
      const stack = (this as unknown as ScopedParser).scopeStack;
      const scope = stack[stack.length - 1];
      if (scope === undefined) return;
      // Names declared before the swap (none in acorn 8) are carried over.
      scope.lexical = fill(scope.lexical);
      scope.functions = fill(scope.functions);
      scope.var = fill(scope.var);
    }
  };
}

function fill(names: readonly string[]): NameList {
  const list = new NameList();
  for (const name of names) list.push(name);
  return list;
}
