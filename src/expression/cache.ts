/**
 * A bounded least-recently-used cache of compiled expressions and templates: the realm script
 * is the expensive part of compiling (tens of µs), so an identical source with the same options
 * is compiled once. A `Map` keeps insertion order, which is the recency order once a hit is re-inserted.
 */
export const DEFAULT_CACHE_SIZE = 500;

export class LruCache<V> {
  private readonly entries = new Map<string, V>();
  constructor(private readonly capacity = DEFAULT_CACHE_SIZE) {}

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  get size(): number {
    return this.entries.size;
  }
  clear(): void {
    this.entries.clear();
  }
}
