import type { DataSource } from 'typeorm';
import { systemClock } from '@metering/platform';
import type { Clock, PlanLimitsConfig } from '@metering/platform';
import { SubscriptionNotFoundError } from '../domain/usage-errors';
import type { UsageStatsResponse } from '../dto/usage-stats.dto';
import type { UsageAlertsService } from '../maintenance/usage-alerts.service';
import { currentPeriodCounts } from './current-period-counts';
import { calculateUsageStats } from './usage-stats.calculator';
import { UsageForecastLoader } from './usage-forecast.loader';
import { SharedLoadCache } from '../support/shared-load-cache';
import { UsageStatsLoader } from './usage-stats.loader';

export interface UsageServiceOptions {
  trialLimits: PlanLimitsConfig;
  clock?: Clock;
  /** How long a tenant's recent rate is reused for the forecast (default FORECAST_CACHE_MS, 60 s). */
  forecastCacheMs?: number;
  /**
   * How long a tenant's answer is reused, at most USAGE_READ_STALENESS_MS (the documented bound);
   * 0 (the default here): every read queries Postgres.
   */
  cacheMs?: number;
  /** Where `forecast` alerts are recorded (once per period; the outbox notifies); none: not recorded. */
  alerts?: UsageAlertsService;
}

/**
 * The most a usage read may lag the counters when answered from memory: a counter committed now
 * is in every answer given from 1 s on. Documented in docs/api/usage.md.
 */
export const USAGE_READ_STALENESS_MS = 1000;
const MAX_CACHED_TENANTS = 100_000;

/**
 * Reads a tenant's usage of the current period against its plan. With `cacheMs`, an answer is
 * reused for that long per tenant (never longer than USAGE_READ_STALENESS_MS), and concurrent
 * reads of a tenant whose answer expired share one computation: a billing page polled by many
 * users, or a burst of reads, costs Postgres one query per tenant per interval.
 */
export class UsageService {
  private readonly clock: Clock;
  private readonly loader: UsageStatsLoader;
  private readonly forecasts: UsageForecastLoader;
  private readonly answers: SharedLoadCache<UsageStatsResponse>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: UsageServiceOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.loader = new UsageStatsLoader(dataSource);
    this.forecasts = new UsageForecastLoader(dataSource, options.forecastCacheMs);
    this.answers = new SharedLoadCache(Math.min(Math.max(0, options.cacheMs ?? 0), USAGE_READ_STALENESS_MS), MAX_CACHED_TENANTS);
  }

  /**
   * The tenant's usage (a shared, read-only answer when cached: callers must not change it).
   * @throws SubscriptionNotFoundError when the tenant has no subscription (or does not exist).
   */
  getUsageStats(tenantId: string): Promise<UsageStatsResponse> {
    // The interval starts when the computation does: its query sees counters as of then or later.
    // Errors (no subscription, Postgres away) are never remembered.
    return this.answers.get(tenantId, this.clock().getTime(), () => this.computeUsageStats(tenantId));
  }

  private async computeUsageStats(tenantId: string): Promise<UsageStatsResponse> {
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
