import type { DataSource } from 'typeorm';
import { periodContaining } from '../domain/billing-period';
import type { BillingPeriod } from '../domain/billing-period';
import type { StatsRow } from './usage-stats.loader';

const COUNTS_SQL = `
SELECT coalesce(json_object_agg(agent, count), '{}'::json) AS counts
  FROM usage_counters WHERE tenant_id = $1 AND period_start = $2`;

/**
 * The period `now` is in and its counts, from a stats row. Between a period's end and the
 * roll-over job the stored period is the old one: then the counts of the period "now" is in are
 * read (one query), not the old period's.
 */
export async function currentPeriodCounts(
  dataSource: DataSource,
  tenantId: string,
  row: StatsRow,
  now: Date,
): Promise<{ period: BillingPeriod; counts: Partial<Record<string, number>> }> {
  const stored: BillingPeriod = { start: row.current_period_start, end: row.current_period_end };
  const period = periodContaining(stored, row.billing_anchor_day, now);
  let counts = row.counts;
  if (period.start.getTime() !== stored.start.getTime()) {
    const [fresh]: Array<{ counts: StatsRow['counts'] }> = await dataSource.query(COUNTS_SQL, [tenantId, period.start.toISOString()]);
    counts = fresh?.counts ?? {};
  }
  return { period, counts: Object.fromEntries(Object.entries(counts).map(([agent, value]) => [agent, Number(value)])) };
}
