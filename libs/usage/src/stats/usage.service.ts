import type { DataSource } from 'typeorm';
import { systemClock } from '@metering/platform';
import type { Clock, PlanLimitsConfig } from '@metering/platform';
import { SubscriptionNotFoundError } from '../domain/usage-errors';
import type { UsageStatsResponse } from '../dto/usage-stats.dto';
import type { UsageAlertsService } from '../maintenance/usage-alerts.service';
import { currentPeriodCounts } from './current-period-counts';
import { calculateUsageStats } from './usage-stats.calculator';
import { UsageForecastLoader } from './usage-forecast.loader';
import { UsageStatsLoader } from './usage-stats.loader';

export interface UsageServiceOptions {
  trialLimits: PlanLimitsConfig;
  clock?: Clock;
  /** How long a tenant's recent rate is reused for the forecast (default FORECAST_CACHE_MS, 60 s). */
  forecastCacheMs?: number;
  /** Where `forecast` alerts are recorded (once per period; the outbox notifies); none: not recorded. */
  alerts?: UsageAlertsService;
}

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
    // Between a period's end and the roll-over job, show the period "now" is in, not the old one.
    const now = this.clock();
    const { period, counts } = await currentPeriodCounts(this.dataSource, tenantId, row, now);
    const isTrialWithoutPlan = row.plan_code === null;
    const stats = calculateUsageStats({
      tenantId,
      period,
      plan: isTrialWithoutPlan ? { code: 'trial', name: 'Trial' } : { code: row.plan_code!, name: row.plan_name! },
      subscriptionStatus: row.status,
      limits: isTrialWithoutPlan ? this.options.trialLimits : (row.limits ?? {}),
      overageUnitCents: isTrialWithoutPlan ? {} : (row.overage_unit_cents ?? {}),
      recent: await this.forecasts.load(tenantId, period, now.getTime()),
      now,
      counts,
    });
    await this.recordForecastAlerts(stats, period.start);
    return stats;
  }

  /**
   * The forecast alerts of this answer, recorded once per period (a no-op round trip is saved by
   * the alerts service's memory). A failure never fails the read: the next read tries again.
   */
  private async recordForecastAlerts(stats: UsageStatsResponse, periodStart: Date): Promise<void> {
    const forecasts = stats.alerts
      .filter((alert) => alert.level === 'forecast')
      .map((alert) => ({ tenantId: stats.tenant_id, agent: alert.agent, periodStart, count: stats.usage[alert.agent].count, limit: stats.usage[alert.agent].limit! }));
    if (forecasts.length === 0 || !this.options.alerts) return;
    await this.options.alerts.recordForecasts(forecasts).catch(() => undefined);
  }
}
