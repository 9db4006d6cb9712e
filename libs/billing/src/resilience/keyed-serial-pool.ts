/**
 * Runs `work` for every item with up to `concurrency` items in flight, but never two items with
 * the same key at once: items sharing a key run one after another, in the order given. Used so
 * Stripe sees one call per (customer, meter) at a time while different customers go in parallel.
 * `shouldStop` is checked before each item; once true, the remaining items are not started.
 */
export async function runKeyedSerial<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  concurrency: number,
  work: (item: T) => Promise<void>,
  shouldStop: () => boolean = () => false,
): Promise<void> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  const queue = [...groups.values()];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < queue.length && !shouldStop()) {
      const group = queue[next++]!;
      for (const item of group) {
        if (shouldStop()) return;
        await work(item);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, lane));
}
