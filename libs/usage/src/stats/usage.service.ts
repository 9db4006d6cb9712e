import type { DataSource } from 'typeorm';
import { systemClock } from '@metering/platform';
import type { Clock, PlanLimitsConfig } from '@metering/platform';
import { periodContaining } from '../domain/billing-period';
import type { BillingPeriod } from '../domain/billing-period';
import { SubscriptionNotFoundError } from '../domain/usage-errors';
import type { UsageStatsResponse } from '../dto/usage-stats.dto';
import { calculateUsageStats } from './usage-stats.calculator';
import { UsageForecastLoader } from './usage-forecast.loader';
import { UsageStatsLoader } from './usage-stats.loader';
import type { StatsRow } from './usage-stats.loader';

export interface UsageServiceOptions {
  trialLimits: PlanLimitsConfig;
  clock?: Clock;
  /** How long a tenant's recent rate is reused for the forecast (default FORECAST_CACHE_MS, 60 s). */
  forecastCacheMs?: number;
}

const COUNTS_SQL = `
SELECT coalesce(json_object_agg(agent, count), '{}'::json) AS counts
  FROM usage_counters WHERE tenant_id = $1 AND period_start = $2`;

/** Reads a tenant's usage of the current period against its plan. */
export class UsageService {
  private readonly clock: Clock;
  private readonly loader: UsageStatsLoader;
  private readonly forecasts: UsageForecastLoader;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: UsageServiceOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.loader = new UsageStatsLoader(dataSource);
    this.forecasts = new UsageForecastLoader(dataSource, options.forecastCacheMs);
  }

  /** @throws SubscriptionNotFoundError when the tenant has no subscription (or does not exist). */
  async getUsageStats(tenantId: string): Promise<UsageStatsResponse> {
    const row = await this.loader.load(tenantId);
    if (!row) throw new SubscriptionNotFoundError(tenantId);
    const stored: BillingPeriod = { start: row.current_period_start, end: row.current_period_end };
    // Between a period's end and the roll-over job, show the period "now" is in, not the old one.
    const now = this.clock();
    const period = periodContaining(stored, row.billing_anchor_day, now);
    let counts = row.counts;
    if (period.start.getTime() !== stored.start.getTime()) {
      const [fresh]: Array<{ counts: StatsRow['counts'] }> = await this.dataSource.query(COUNTS_SQL, [
        tenantId,
        period.start.toISOString(),
      ]);
      counts = fresh?.counts ?? {};
    }
    const isTrialWithoutPlan = row.plan_code === null;
    return calculateUsageStats({
      tenantId,
      period,
      plan: isTrialWithoutPlan ? { code: 'trial', name: 'Trial' } : { code: row.plan_code!, name: row.plan_name! },
      subscriptionStatus: row.status,
      limits: isTrialWithoutPlan ? this.options.trialLimits : (row.limits ?? {}),
      overageUnitCents: isTrialWithoutPlan ? {} : (row.overage_unit_cents ?? {}),
      recent: await this.forecasts.load(tenantId, period, now.getTime()),
      now,
      counts: Object.fromEntries(Object.entries(counts).map(([agent, value]) => [agent, Number(value)])),
    });
  }
}
