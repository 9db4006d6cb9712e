/**
 * The wire shape of `GET /api/v1/usage` (DESIGN.md, "API contract"; server side:
 * `UsageStatsResponse` in libs/usage/src/dto/usage-stats.dto.ts). Mirrored here because the
 * browser bundle must not pull in the server library; apps/api/test/usage-wire-contract.test.ts
 * makes any difference between the two a type error.
 */
export type AgentType = 'inbox' | 'invoice' | 'meeting';

export const AGENT_ORDER: readonly AgentType[] = ['inbox', 'invoice', 'meeting'];

export type AlertLevel = 'warning' | 'error';

export interface AgentUsage {
  count: number;
  /** Null when the plan sets no limit for this agent. */
  limit: number | null;
  /** Percent of the limit used, one decimal; null when unlimited. */
  percentage: number | null;
  overage: number;
  overage_cost_cents: number;
}

export interface UsageAlert {
  agent: AgentType;
  level: AlertLevel;
  message: string;
}

export interface UsageStats {
  tenant_id: string;
  period_start: string;
  period_end: string;
  plan: { code: string; name: string };
  subscription_status: string;
  usage: Record<AgentType, AgentUsage>;
  total_overage_cost_cents: number;
  alerts: UsageAlert[];
}
