export interface RollupBucket {
  bucketStart: Date;
  count: number;
}

/**
 * Where a reduction of `quantity` comes out of a counter's hourly rollups: first the hour of the
 * correction (`at`: a voided event's own hour), then the hours before it, newest first, then the
 * hours after it. A bucket never goes below zero; the buckets sum to the counter, so a reduction
 * the counter allows always fits (if rollups were short -- drift reconciliation fixed in the
 * counter only -- what fits is taken and the history is off by the same drift as before).
 */
export function planRollupReduction(buckets: readonly RollupBucket[], at: Date, quantity: number): Array<{ bucketStart: Date; take: number }> {
  const hour = Math.floor(at.getTime() / 3_600_000) * 3_600_000;
  const same = buckets.filter((b) => b.bucketStart.getTime() === hour);
  const before = buckets.filter((b) => b.bucketStart.getTime() < hour).sort((a, b) => b.bucketStart.getTime() - a.bucketStart.getTime());
  const after = buckets.filter((b) => b.bucketStart.getTime() > hour).sort((a, b) => a.bucketStart.getTime() - b.bucketStart.getTime());
  const takes: Array<{ bucketStart: Date; take: number }> = [];
  let left = quantity;
  for (const bucket of [...same, ...before, ...after]) {
    if (left === 0) break;
    const take = Math.min(bucket.count, left);
    if (take > 0) takes.push({ bucketStart: bucket.bucketStart, take });
    left -= take;
  }
  return takes;
}
