import type { DataSource } from 'typeorm';
import type { AgentType } from '../domain/agent-type';
import type { BillingPeriod } from '../domain/billing-period';
import { TtlBatchCache } from '../support/ttl-batch-cache';
import { FORECAST_LOOKBACK_MS, HOUR_MS } from './usage-forecast';
import type { RecentUsage } from './usage-forecast';

const hourOf = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;

/** A rate changes slowly: one rollup read per tenant and minute is enough for the forecast. */
export const FORECAST_CACHE_MS = 60_000;

// The rollups' key (tenant_id, bucket_start, agent, period_start) is read from the period's first
// hour on (a rollup's hour is that of an event inside the period): this period's rows, not the
// tenant's whole history.
const RECENT_SQL = `
SELECT agent, (extract(epoch FROM min(bucket_start)) * 1000)::bigint AS first_ms,
       coalesce(sum(count) FILTER (WHERE bucket_start >= $3), 0)::bigint AS recent
  FROM usage_rollups
 WHERE tenant_id = $1 AND bucket_start >= date_trunc('hour', $2::timestamptz, 'UTC') AND period_start = $2
 GROUP BY agent`;

/** Each agent's recent usage of a period (hourly rollups: at most 24 x 31 rows per agent). */
export class UsageForecastLoader {
  private readonly cache: TtlBatchCache<Partial<Record<AgentType, RecentUsage>>>;

  constructor(
    private readonly dataSource: DataSource,
    cacheMs = FORECAST_CACHE_MS,
  ) {
    this.cache = new TtlBatchCache(cacheMs);
  }

  async load(tenantId: string, period: BillingPeriod, nowMs: number): Promise<Partial<Record<AgentType, RecentUsage>>> {
    const key = `${tenantId}|${period.start.getTime()}`;
    const found = await this.cache.getMany([key], nowMs, async () => {
      // Whole hours, as the rollups are: a period that starts mid-hour (a Stripe period starts when
      // the subscription did) has its first rollup at that hour, holding only this period's events.
      const sinceMs = Math.max(hourOf(period.start.getTime()), hourOf(nowMs - FORECAST_LOOKBACK_MS));
      const rows: Array<{ agent: AgentType; first_ms: string | null; recent: string }> = await this.dataSource.query(RECENT_SQL, [
        tenantId,
        period.start.toISOString(),
        new Date(sinceMs).toISOString(),
      ]);
      const recent: Partial<Record<AgentType, RecentUsage>> = {};
      for (const row of rows) {
        recent[row.agent] = { firstUsageMs: row.first_ms === null ? null : Number(row.first_ms), recentCount: Number(row.recent), sinceMs };
      }
      return new Map([[key, recent]]);
    });
    return found.get(key) ?? {};
  }
}
