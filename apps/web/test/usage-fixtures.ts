import type { AgentUsage, UsageAlert, UsageStatsResponse } from '@metering/contract';

export const TENANT_ID = '3f1b2c4d-1111-4222-8333-123456789abc';
export const NOVEMBER = { start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' };
export const DECEMBER = { start: '2026-12-01T00:00:00.000Z', end: '2027-01-01T00:00:00.000Z' };

/** An agent's usage as the API computes it (one-decimal percentage, overage at `unitCents`). */
export function agentUsage(count: number, limit: number | null, unitCents = 2): AgentUsage {
  const forecast = { projected_count: count, projected_limit_date: null };
  if (limit === null) return { count, limit, percentage: null, overage: 0, overage_cost_cents: 0, ...forecast, projected_overage_cost_cents: 0 };
  const overage = Math.max(0, count - limit);
  const cost = overage * unitCents;
  return { count, limit, percentage: Math.round((count * 1000) / limit) / 10, overage, overage_cost_cents: cost, ...forecast, projected_overage_cost_cents: cost };
}

function alertsFor(usage: UsageStatsResponse['usage']): UsageAlert[] {
  return (Object.entries(usage) as Array<[UsageAlert['agent'], AgentUsage]>).flatMap(([agent, item]): UsageAlert[] => {
    // As the API decides: on the counts, not the rounded percentage.
    if (item.limit === null || item.count * 100 < item.limit * 80) return [];
    const label = agent[0]!.toUpperCase() + agent.slice(1);
    return item.count >= item.limit
      ? [{ agent, level: 'error', message: `${label} agent is ${item.overage} over its monthly limit` }]
      : [{ agent, level: 'warning', message: `${label} agent has used ${Math.floor(item.percentage ?? 0)}% of its monthly limit` }];
  });
}

/** A full `GET /api/v1/usage` body: Starter plan, November 2026, with the counts given. */
export function usageStats(
  counts: { inbox?: number; invoice?: number; meeting?: number } = {},
  overrides: Partial<UsageStatsResponse> = {},
): UsageStatsResponse {
  const usage = {
    inbox: agentUsage(counts.inbox ?? 120, 1000, 2),
    invoice: agentUsage(counts.invoice ?? 20, 200, 10),
    meeting: agentUsage(counts.meeting ?? 3, null),
  };
  return {
    tenant_id: TENANT_ID,
    period_start: NOVEMBER.start,
    period_end: NOVEMBER.end,
    plan: { code: 'starter', name: 'Starter' },
    subscription_status: 'active',
    usage,
    total_overage_cost_cents: Object.values(usage).reduce((sum, item) => sum + item.overage_cost_cents, 0),
    alerts: alertsFor(usage),
    ...overrides,
  };
}
