import type { DataSource } from 'typeorm';
import type { AgentType } from '../domain/agent-type';
import { QuotaExceededError } from '../domain/usage-errors';
import type { UsageError } from '../domain/usage-errors';
import type { PlanLimits } from '../entities/plan.entity';
import { decideQuota } from '../quota/quota-decision';
import { limitFor } from '../stats/usage-stats.calculator';
import { TtlBatchCache } from '../support/ttl-batch-cache';
import type { PlacedEvent } from './commit-events';

/** Per agent, the limit of the agents whose plan policy is `block`; null when none is. */
type BlockedLimits = Partial<Record<AgentType, number>> | null;

const BLOCKED_LIMITS_SQL = `
SELECT s.tenant_id, coalesce(bt.limits, p.limits) AS limits, p.limit_policies
  FROM subscriptions s JOIN plans p ON p.id = s.plan_id
  -- The quota of the current period is its own terms (a plan change applies from the next period).
  LEFT JOIN billing_period_terms bt ON bt.tenant_id = s.tenant_id AND bt.period_start = s.current_period_start
 WHERE s.tenant_id = ANY($1::uuid[]) AND p.limit_policies <> '{}'::jsonb`;

const COUNTERS_SQL = `
SELECT c.tenant_id, c.agent, (extract(epoch FROM c.period_start) * 1000)::bigint AS period_ms, c.count
  FROM usage_counters c
  JOIN json_to_recordset($1::json) AS k(tenant_id uuid, agent varchar, period_start timestamptz)
    ON c.tenant_id = k.tenant_id AND c.agent = k.agent AND c.period_start = k.period_start`;

/**
 * The worker's half of the `block` policy: a group that would take a blocked agent past its limit
 * is refused (QUOTA_EXCEEDED, permanent) before the commit, so it is counted nowhere. The API
 * refuses first from a <= 1 s old counter; this catches what was in flight past it.
 *
 * Cost: which tenants block is cached like the billing state (`ttlMs`), so a batch of tenants
 * without a `block` policy costs no query once warm; only a batch holding a blocking tenant reads
 * that tenant's counters (one query). Groups are taken in order against a running total, so the
 * groups of one batch cannot together pass the limit. Two workers committing the same tenant at
 * the same instant can each pass one batch's worth: the bound of the guard, documented.
 */
export class BlockQuotaGuard {
  private readonly cache: TtlBatchCache<BlockedLimits>;

  constructor(
    private readonly dataSource: DataSource,
    ttlMs: number,
  ) {
    this.cache = new TtlBatchCache(ttlMs);
  }

  /** The errors of each refused group, by its index in `groups`. */
  async refuse(groups: ReadonlyArray<readonly PlacedEvent[]>, now: number): Promise<Map<number, Array<{ index: number; error: UsageError }>>> {
    const refused = new Map<number, Array<{ index: number; error: UsageError }>>();
    const tenantIds = [...new Set(groups.flatMap((events) => events.map(({ event }) => event.tenantId)))];
    if (tenantIds.length === 0) return refused;
    const blocked = await this.cache.getMany(tenantIds, now, (missing) => this.loadBlocked(missing));
    const keyOf = (tenantId: string, agent: string, period: Date): string => `${tenantId}|${agent}|${period.getTime()}`;
    const watched = new Map<string, { tenantId: string; agent: AgentType; periodStart: Date }>();
    for (const events of groups) {
      for (const { event, period } of events) {
        if (blocked.get(event.tenantId)?.[event.agent] === undefined) continue;
        watched.set(keyOf(event.tenantId, event.agent, period.start), { tenantId: event.tenantId, agent: event.agent, periodStart: period.start });
      }
    }
    if (watched.size === 0) return refused;
    const running = await this.counters([...watched.values()], keyOf);
    groups.forEach((events, group) => {
      const adds = new Map<string, number>();
      for (const { event, period } of events) {
        if (blocked.get(event.tenantId)?.[event.agent] === undefined) continue;
        const key = keyOf(event.tenantId, event.agent, period.start);
        adds.set(key, (adds.get(key) ?? 0) + event.quantity);
      }
      for (const [key, quantity] of adds) {
        const { tenantId, agent } = watched.get(key)!;
        const limit = blocked.get(tenantId)![agent]!;
        const count = running.get(key) ?? 0;
        // The same rule as the API's check and ingest refusal (decideQuota), on the running counter.
        if (!decideQuota(agent, quantity, count, limit, 'block').allowed) {
          const index = events.findIndex(({ event }) => event.tenantId === tenantId && event.agent === agent);
          refused.set(group, [{ index, error: new QuotaExceededError(tenantId, agent, limit, count, quantity) }]);
          return;
        }
      }
      for (const [key, quantity] of adds) running.set(key, (running.get(key) ?? 0) + quantity);
    });
    return refused;
  }

  private async loadBlocked(tenantIds: string[]): Promise<Map<string, BlockedLimits>> {
    const rows: Array<{ tenant_id: string; limits: PlanLimits; limit_policies: Record<string, unknown> }> = await this.dataSource.query(
      BLOCKED_LIMITS_SQL,
      [tenantIds],
    );
    // Every asked tenant gets an entry (null: nothing blocks), so the common case is cached too.
    const result = new Map<string, BlockedLimits>(tenantIds.map((id) => [id, null]));
    for (const row of rows) {
      const limits: Partial<Record<AgentType, number>> = {};
      for (const [agent, policy] of Object.entries(row.limit_policies)) {
        const limit = policy === 'block' ? limitFor(row.limits, agent as AgentType) : null;
        if (limit !== null) limits[agent as AgentType] = limit;
      }
      result.set(row.tenant_id, Object.keys(limits).length > 0 ? limits : null);
    }
    return result;
  }

  private async counters(
    keys: Array<{ tenantId: string; agent: AgentType; periodStart: Date }>,
    keyOf: (tenantId: string, agent: string, period: Date) => string,
  ): Promise<Map<string, number>> {
    const rows: Array<{ tenant_id: string; agent: string; period_ms: string; count: string }> = await this.dataSource.query(COUNTERS_SQL, [
      JSON.stringify(keys.map((k) => ({ tenant_id: k.tenantId, agent: k.agent, period_start: k.periodStart.toISOString() }))),
    ]);
    return new Map(rows.map((row) => [keyOf(row.tenant_id, row.agent, new Date(Number(row.period_ms))), Number(row.count)]));
  }
}
