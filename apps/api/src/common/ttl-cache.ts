/** A small bounded map with per-entry expiry, for hot lookups (keys, site settings, flow indexes). */
export class TtlCache<K, V> {
  private readonly map = new Map<K, { value: V; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: K): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    if (hit.expires < Date.now()) {
      this.map.delete(key);
      return undefined;
    }
    return hit.value;
  }

  set(key: K, value: V): void {
    if (this.map.size >= this.maxEntries) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(key, { value, expires: Date.now() + this.ttlMs });
  }

  deleteWhere(predicate: (key: K, value: V) => boolean): void {
    for (const [k, v] of this.map) if (predicate(k, v.value)) this.map.delete(k);
  }

  clear(): void {
    this.map.clear();
  }
}
