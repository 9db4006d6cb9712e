import type { AgentType, AlertLevel } from './agent-types';

/** One agent's usage in the current period, as the API returns it. */
export interface AgentUsage {
  count: number;
  /** Null when the plan sets no limit for this agent. */
  limit: number | null;
  /** Percent of the limit used, one decimal; null when unlimited. */
  percentage: number | null;
  overage: number;
  overage_cost_cents: number;
  /** Forecast: the count at period end if the recent daily rate holds (see docs/api/usage.md). */
  projected_count: number;
  /** Overage cost of `projected_count`, integer cents. */
  projected_overage_cost_cents: number;
  /** When the forecast crosses 100% of the limit; null when unlimited, already reached or not within the period. */
  projected_limit_date: string | null;
}

/** `forecast`: the forecast reaches 100% before period end, while the count is still below it. */
export type UsageAlertLevel = AlertLevel | 'forecast';

export interface UsageAlert {
  agent: AgentType;
  level: UsageAlertLevel;
  message: string;
}

/** `GET /api/v1/usage`: the tenant's usage of the current period, snake_case as on the wire. */
export interface UsageStatsResponse {
  tenant_id: string;
  period_start: string;
  period_end: string;
  plan: { code: string; name: string };
  subscription_status: string;
  usage: Record<AgentType, AgentUsage>;
  total_overage_cost_cents: number;
  alerts: UsageAlert[];
}
