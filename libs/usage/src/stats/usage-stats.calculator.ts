import { AGENT_LABELS, AGENT_LIMIT_KEYS, AGENT_TYPES } from '../domain/agent-type';
import type { AgentType } from '../domain/agent-type';
import type { BillingPeriod } from '../domain/billing-period';
import type { AgentUsage, UsageAlert, UsageStatsResponse } from '../dto/usage-stats.dto';
import { forecastAgent, recentRatePerMs } from './usage-forecast';
import type { RecentUsage } from './usage-forecast';
import type { AlertLevel } from '../entities/usage-threshold-alert.entity';
import type { PerAgent, PlanLimits } from '../entities/plan.entity';

export const WARNING_PERCENT = 80;
export const ERROR_PERCENT = 100;

/** The limit of `agent` under `limits`; null (unlimited) when the key is missing or null. */
export function limitFor(limits: PlanLimits, agent: AgentType): number | null {
  const value = limits[AGENT_LIMIT_KEYS[agent]];
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : null;
}

/** The alert level `count` has reached against `limit`, in exact integer arithmetic. */
export function alertLevelFor(count: number, limit: number | null): AlertLevel | null {
  if (limit === null) return null;
  if (limit === 0) return count > 0 ? 'error' : null;
  if (count * 100 >= limit * ERROR_PERCENT) return 'error';
  if (count * 100 >= limit * WARNING_PERCENT) return 'warning';
  return null;
}

/** `forecast`: the recent rate and the clock; without it the forecast is the count as it stands. */
export function agentUsage(
  count: number,
  limit: number | null,
  unitCents: number,
  forecast: { ratePerMs: number; nowMs: number; periodEndMs: number } = { ratePerMs: 0, nowMs: 0, periodEndMs: 0 },
): AgentUsage {
  const projected = forecastAgent({ count, limit, unitCents, ...forecast });
  if (limit === null) return { count, limit: null, percentage: null, overage: 0, overage_cost_cents: 0, ...projected };
  const percentage = limit === 0 ? (count > 0 ? 100 : 0) : Math.round((count * 1000) / limit) / 10;
  const overage = Math.max(0, count - limit);
  return { count, limit, percentage, overage, overage_cost_cents: overage * unitCents, ...projected };
}

/** The `forecast` alert: the forecast reaches the limit in this period while the count is below it. */
function forecastAlertFor(agent: AgentType, usage: AgentUsage): UsageAlert | null {
  if (usage.limit === null || usage.count >= usage.limit || usage.projected_limit_date === null) return null;
  const day = new Date(usage.projected_limit_date).toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
  return { agent, level: 'forecast', message: `${AGENT_LABELS[agent]} agent reaches its monthly limit on ${day} at the current rate` };
}

function alertFor(agent: AgentType, usage: AgentUsage): UsageAlert | null {
  const level = alertLevelFor(usage.count, usage.limit);
  if (!level) return null;
  const label = AGENT_LABELS[agent];
  if (level === 'warning') {
    return { agent, level, message: `${label} agent has used ${Math.floor(usage.percentage ?? 0)}% of its monthly limit` };
  }
  return {
    agent,
    level,
    message:
      usage.overage > 0
        ? `${label} agent is ${usage.overage.toLocaleString('en-US')} over its monthly limit`
        : `${label} agent has reached its monthly limit`,
  };
}

export interface UsageStatsInput {
  tenantId: string;
  period: BillingPeriod;
  plan: { code: string; name: string };
  subscriptionStatus: string;
  limits: PlanLimits;
  overageUnitCents: PerAgent<number>;
  counts: Partial<Record<AgentType, number>>;
  /** The recent usage per agent (hourly rollups) and the clock, for the forecast. */
  recent?: Partial<Record<AgentType, RecentUsage>>;
  now?: Date;
}

/** Pure: turns counters and a plan into the API's usage response. */
export function calculateUsageStats(input: UsageStatsInput): UsageStatsResponse {
  const usage = {} as Record<AgentType, AgentUsage>;
  const alerts: UsageAlert[] = [];
  let total = 0;
  for (const agent of AGENT_TYPES) {
    const unitCents = Math.max(0, Math.floor(Number(input.overageUnitCents[agent] ?? 0)));
    const nowMs = (input.now ?? input.period.start).getTime();
    const item = agentUsage(input.counts[agent] ?? 0, limitFor(input.limits, agent), unitCents, {
      ratePerMs: recentRatePerMs(input.recent?.[agent], nowMs),
      nowMs,
      periodEndMs: input.period.end.getTime(),
    });
    usage[agent] = item;
    total += item.overage_cost_cents;
    const alert = alertFor(agent, item);
    if (alert) alerts.push(alert);
    const forecast = forecastAlertFor(agent, item);
    if (forecast) alerts.push(forecast);
  }
  return {
    tenant_id: input.tenantId,
    period_start: input.period.start.toISOString(),
    period_end: input.period.end.toISOString(),
    plan: input.plan,
    subscription_status: input.subscriptionStatus,
    usage,
    total_overage_cost_cents: total,
    alerts,
  };
}
