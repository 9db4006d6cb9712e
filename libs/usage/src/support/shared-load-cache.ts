/** One key's load, shared by every caller within its interval; `settled` once it resolved. */
interface Entry<V> {
  value: Promise<V>;
  settled?: { value: V };
  expiresAt: number;
}

/**
 * Per-process memory of one load per key and interval: callers within `ttlMs` of a load's start
 * share its promise (concurrent misses wait for the same load), so every answer of the interval
 * reflects the source as of the load's start or later. A failed load is forgotten at once; past
 * `maxEntries` keys the memory is dropped and refills on demand. `ttlMs` 0 loads every time.
 */
export class SharedLoadCache<V> {
  private readonly entries = new Map<string, Entry<V>>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 100_000,
  ) {}

  get(key: string, now: number, load: () => Promise<V>): Promise<V> {
    const cached = this.entries.get(key);
    if (cached && cached.expiresAt > now) return cached.value;
    if (this.ttlMs === 0) return load();
    if (!cached && this.entries.size >= this.maxEntries) this.entries.clear();
    const entry: Entry<V> = { value: load(), expiresAt: now + this.ttlMs };
    this.entries.set(key, entry);
    entry.value.then(
      (value) => {
        entry.settled = { value };
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return entry.value;
  }

  /** The value of a load that resolved and is still fresh, without waiting; undefined otherwise. */
  settled(key: string, now: number): { value: V } | undefined {
    const entry = this.entries.get(key);
    return entry && entry.expiresAt > now ? entry.settled : undefined;
  }
}
