import type { DataSource } from 'typeorm';
import { AGENT_TYPES, integerParam, invalidParam, limitFor, rejectUnknownParams, stringParam } from '@metering/usage';
import type { AgentType, PerAgent, PeriodAgentUsage, PlanLimits, QueryParams, StripeReportStatus, UsagePeriod, UsagePeriodsResponse } from '@metering/usage';
import { USAGE_PERIODS_SQL } from './usage-periods.query';

export const DEFAULT_PERIODS_PAGE = 12;
export const MAX_PERIODS_PAGE = 100;

export interface PeriodsQuery {
  /** Periods starting before this instant (the previous page's last period start). */
  before: Date | null;
  limit: number;
}

export function parsePeriodsQuery(query: QueryParams): PeriodsQuery {
  rejectUnknownParams(query, ['cursor', 'limit']);
  const cursor = stringParam(query, 'cursor');
  let before: Date | null = null;
  if (cursor !== undefined) {
    const ms = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Number.isSafeInteger(ms) || ms <= 0) invalidParam('cursor', 'cursor is not one this endpoint returned; pass next_cursor unchanged');
    before = new Date(ms);
  }
  return { before, limit: integerParam(query, 'limit', 1, MAX_PERIODS_PAGE, DEFAULT_PERIODS_PAGE) };
}

interface PeriodRow {
  period_start: Date;
  period_end: Date;
  counts: Partial<Record<AgentType, string | number>>;
  reports: Partial<Record<AgentType, [number | string, number | string, number | string]>>;
  limits: PlanLimits | null;
  overage_unit_cents: PerAgent<number> | null;
}

/** Failed beats pending beats sent: the page shows what needs attention first. */
export function stripeStatusOf(overage: number, sent: number, pending: number, failed: number): StripeReportStatus {
  if (failed > 0) return 'failed';
  // Not yet sent in full (the report job has not run, or is retrying): pending.
  if (pending > 0 || sent < overage) return 'pending';
  return sent > 0 ? 'sent' : 'none';
}

/** Past billing periods of a tenant with their totals and Stripe reporting state. */
export class UsagePeriodsService {
  constructor(private readonly dataSource: DataSource) {}

  async periods(tenantId: string, query: PeriodsQuery, now: Date): Promise<UsagePeriodsResponse> {
    const rows: PeriodRow[] = await this.dataSource.query(USAGE_PERIODS_SQL, [
      tenantId,
      now.toISOString(),
      query.before?.toISOString() ?? null,
      query.limit + 1,
    ]);
    const page = rows.slice(0, query.limit);
    const data = page.map((row): UsagePeriod => {
      const usage = {} as Record<AgentType, PeriodAgentUsage>;
      let total = 0;
      for (const agent of AGENT_TYPES) {
        const count = Number(row.counts[agent] ?? 0);
        const limit = limitFor(row.limits ?? {}, agent);
        const overage = limit === null ? 0 : Math.max(0, count - limit);
        const cost = overage * Math.max(0, Math.floor(Number(row.overage_unit_cents?.[agent] ?? 0)));
        const [sent, pending, failed] = (row.reports[agent] ?? [0, 0, 0]).map(Number) as [number, number, number];
        usage[agent] = {
          count,
          limit,
          overage,
          overage_cost_cents: cost,
          stripe: { status: stripeStatusOf(overage, sent, pending, failed), sent_quantity: sent, pending_quantity: pending, failed_quantity: failed },
        };
        total += cost;
      }
      return { period_start: row.period_start.toISOString(), period_end: row.period_end.toISOString(), usage, total_overage_cost_cents: total };
    });
    const last = rows.length > query.limit ? page[page.length - 1]! : null;
    return {
      data,
      next_cursor: last ? Buffer.from(String(new Date(last.period_start).getTime()), 'utf8').toString('base64url') : null,
    };
  }
}
