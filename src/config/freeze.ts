/**
 * A loaded config is host data the caller may pass anywhere: freeze it all the way down, and
 * note where functions (plugin hooks) sit, since those still run in the config's sandbox.
 */

/** Freeze `value` deeply; return the paths (`plugins[0].transform`) of the functions in it. */
export function deepFreeze(value: unknown): string[] {
  const functions: string[] = [];
  const seen = new Set<object>();
  const visit = (current: unknown, path: string): void => {
    if (typeof current === 'function') functions.push(path || '(default)');
    if (current === null || (typeof current !== 'object' && typeof current !== 'function') || seen.has(current)) return;
    seen.add(current);
    // A typed array with elements cannot be frozen; its bytes are already a copy of the sandbox's.
    if (ArrayBuffer.isView(current) || current instanceof ArrayBuffer) return;
    if (current instanceof Map) {
      for (const [key, item] of current) {
        visit(key, `${path}<key>`);
        visit(item, `${path}.get(${typeof key === 'string' ? JSON.stringify(key) : String(key)})`);
      }
    } else if (current instanceof Set) {
      for (const item of current) visit(item, `${path}<item>`);
    } else if (Array.isArray(current)) {
      current.forEach((item, index) => visit(item, `${path}[${index}]`));
    } else if (typeof current === 'object') {
      for (const key of Object.keys(current)) visit((current as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
    }
    Object.freeze(current);
  };
  visit(value, '');
  return functions;
}
