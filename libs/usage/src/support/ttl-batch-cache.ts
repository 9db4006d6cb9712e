/**
 * Per-process memory of values looked up by key in batches: `getMany` answers what it still holds
 * and asks `loadMissing` (one round trip) for the rest. Entries expire after `ttlMs`; the whole
 * cache is dropped when it would grow past `maxEntries`, which bounds memory and refills on demand.
 */
export class TtlBatchCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 100_000,
  ) {}

  /**
   * Values for `keys` (a key `loadMissing` does not return is absent from the result). Loaded values
   * are kept only when `keep(value)` says so, so callers can choose not to remember refusals.
   */
  async getMany(
    keys: readonly string[],
    now: number,
    loadMissing: (missing: string[]) => Promise<Map<string, V>>,
    keep: (value: V) => boolean = () => true,
  ): Promise<Map<string, V>> {
    const found = new Map<string, V>();
    const missing: string[] = [];
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (entry && entry.expiresAt > now) found.set(key, entry.value);
      else missing.push(key);
    }
    if (missing.length === 0) return found;
    const loaded = await loadMissing(missing);
    if (this.entries.size + loaded.size > this.maxEntries) this.entries.clear();
    for (const [key, value] of loaded) {
      found.set(key, value);
      if (this.ttlMs > 0 && keep(value)) this.entries.set(key, { value, expiresAt: now + this.ttlMs });
    }
    return found;
  }
}
