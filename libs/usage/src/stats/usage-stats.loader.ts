import type { DataSource } from 'typeorm';
import type { AgentType } from '../domain/agent-type';
import type { LimitPolicy, PerAgent, PlanLimits } from '../entities/plan.entity';
import { isUuid } from '@metering/platform';

/** A tenant's subscription, plan and counters of the stored current period, as one row. */
export interface StatsRow {
  tenant_id: string;
  status: string;
  current_period_start: Date;
  current_period_end: Date;
  billing_anchor_day: number;
  plan_code: string | null;
  plan_name: string | null;
  limits: PlanLimits | null;
  overage_unit_cents: PerAgent<number> | null;
  limit_policies: PerAgent<LimitPolicy> | null;
  counts: Partial<Record<AgentType, string | number>>;
}

// The subscriptions, plans and current period's counters of many tenants in one round trip. The
// quotas and prices are the period's own terms (what billing uses), the plan's for a period without.
const STATS_SQL = `
SELECT s.tenant_id, s.status, s.current_period_start, s.current_period_end, s.billing_anchor_day,
       p.code AS plan_code, p.name AS plan_name,
       CASE WHEN p.id IS NULL THEN NULL ELSE coalesce(bt.limits, p.limits) END AS limits,
       CASE WHEN p.id IS NULL THEN NULL ELSE coalesce(bt.overage_unit_cents, p.overage_unit_cents) END AS overage_unit_cents,
       p.limit_policies,
       (SELECT coalesce(json_object_agg(c.agent, c.count), '{}'::json)
          FROM usage_counters c
         WHERE c.tenant_id = s.tenant_id AND c.period_start = s.current_period_start) AS counts
  FROM subscriptions s
  LEFT JOIN plans p ON p.id = s.plan_id
  LEFT JOIN billing_period_terms bt ON bt.tenant_id = s.tenant_id AND bt.period_start = s.current_period_start
 WHERE s.tenant_id = ANY($1::uuid[])`;

const MAX_BATCH = 200;

interface Waiter {
  resolve: (row: StatsRow | undefined) => void;
  reject: (error: unknown) => void;
}

/**
 * Reads stats rows for concurrent requests together: lookups made in the same turn of the event
 * loop go to Postgres as ONE query (`tenant_id = ANY(...)`). Under load that turns N queries --
 * N round trips, N pooled connections, N plans -- into one; alone, a lookup waits for nothing
 * but the end of the current turn. Each read still sees committed data as of its own query.
 */
export class UsageStatsLoader {
  private pending = new Map<string, Waiter[]>();
  private scheduled = false;

  constructor(private readonly dataSource: DataSource) {}

  /** The tenant's row, or undefined when it has no subscription (or the id is not a UUID). */
  load(tenantId: string): Promise<StatsRow | undefined> {
    // One malformed id must not fail the query the other requests share.
    if (!isUuid(tenantId)) return Promise.resolve(undefined);
    tenantId = tenantId.toLowerCase();
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(tenantId);
      if (waiters) waiters.push({ resolve, reject });
      else this.pending.set(tenantId, [{ resolve, reject }]);
      if (this.pending.size >= MAX_BATCH) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.dataSource.query(STATS_SQL, [[...batch.keys()]]).then(
      (rows: StatsRow[]) => {
        const byTenant = new Map(rows.map((row) => [row.tenant_id, row]));
        for (const [tenantId, waiters] of batch) for (const waiter of waiters) waiter.resolve(byTenant.get(tenantId));
      },
      (error: unknown) => {
        for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error);
      },
    );
  }
}
