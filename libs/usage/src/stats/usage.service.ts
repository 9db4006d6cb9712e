import type { DataSource } from 'typeorm';
import { systemClock } from '@metering/platform';
import type { Clock, PlanLimitsConfig } from '@metering/platform';
import type { AgentType } from '../domain/agent-type';
import { periodContaining } from '../domain/billing-period';
import type { BillingPeriod } from '../domain/billing-period';
import { SubscriptionNotFoundError } from '../domain/usage-errors';
import type { UsageStatsResponse } from '../dto/usage-stats.dto';
import type { PerAgent, PlanLimits } from '../entities/plan.entity';
import { calculateUsageStats } from './usage-stats.calculator';

export interface UsageServiceOptions {
  trialLimits: PlanLimitsConfig;
  clock?: Clock;
}

interface StatsRow {
  status: string;
  current_period_start: Date;
  current_period_end: Date;
  billing_anchor_day: number;
  plan_code: string | null;
  plan_name: string | null;
  limits: PlanLimits | null;
  overage_unit_cents: PerAgent<number> | null;
  counts: Partial<Record<AgentType, string | number>>;
}

// The subscription, its plan and the current period's counters in one round trip.
const STATS_SQL = `
SELECT s.status, s.current_period_start, s.current_period_end, s.billing_anchor_day,
       p.code AS plan_code, p.name AS plan_name, p.limits, p.overage_unit_cents,
       (SELECT coalesce(json_object_agg(c.agent, c.count), '{}'::json)
          FROM usage_counters c
         WHERE c.tenant_id = s.tenant_id AND c.period_start = s.current_period_start) AS counts
  FROM subscriptions s
  LEFT JOIN plans p ON p.id = s.plan_id
 WHERE s.tenant_id = $1`;

const COUNTS_SQL = `
SELECT coalesce(json_object_agg(agent, count), '{}'::json) AS counts
  FROM usage_counters WHERE tenant_id = $1 AND period_start = $2`;

/** Reads a tenant's usage of the current period against its plan. */
export class UsageService {
  private readonly clock: Clock;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: UsageServiceOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** @throws SubscriptionNotFoundError when the tenant has no subscription (or does not exist). */
  async getUsageStats(tenantId: string): Promise<UsageStatsResponse> {
    const [row]: StatsRow[] = await this.dataSource.query(STATS_SQL, [tenantId]);
    if (!row) throw new SubscriptionNotFoundError(tenantId);
    const stored: BillingPeriod = { start: row.current_period_start, end: row.current_period_end };
    // Between a period's end and the roll-over job, show the period "now" is in, not the old one.
    const period = periodContaining(stored, row.billing_anchor_day, this.clock());
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
      counts: Object.fromEntries(Object.entries(counts).map(([agent, value]) => [agent, Number(value)])),
    });
  }
}
