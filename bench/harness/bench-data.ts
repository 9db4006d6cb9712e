import type { DataSource } from 'typeorm';
import { AGENT_ACTIONS, AGENT_TYPES, calendarMonthOf } from '@metering/usage';
import type { AgentType, BillingPeriod, TrackEventInput } from '@metering/usage';

/** Limits so high that ingest never crosses an alert threshold, as for most tenants most days. */
export const ROOMY_LIMITS = { emails_per_month: 100_000_000, invoices_per_month: 100_000_000, meetings_per_month: 100_000_000 };
export const STARTER_LIMITS = { emails_per_month: 1000, invoices_per_month: 200, meetings_per_month: 50 };

export interface SeededTenants {
  tenantIds: string[];
  period: BillingPeriod;
}

/** Empties every table a scenario writes, so each scenario starts from the same state. */
export async function resetData(db: DataSource): Promise<void> {
  await db.query(
    `TRUNCATE usage_events, usage_counters, usage_alerts, stripe_usage_reports, reconciliation_runs,
              subscriptions, tenants, plans CASCADE`,
  );
}

/** One plan and `count` tenants with active subscriptions of the current month, in one statement. */
export async function seedTenants(db: DataSource, count: number, limits: Record<string, number> = ROOMY_LIMITS): Promise<SeededTenants> {
  const period = calendarMonthOf(new Date());
  const rows: Array<{ tenant_id: string }> = await db.query(
    `WITH plan AS (
       INSERT INTO plans (code, name, limits, overage_unit_cents, meter_event_names)
       VALUES ('bench-' || md5(random()::text), 'Bench', $1, '{"inbox":2,"invoice":10,"meeting":50}',
               '{"inbox":"inbox_overage","invoice":"invoice_overage","meeting":"meeting_overage"}')
       RETURNING id
     ), tenant AS (
       INSERT INTO tenants (name, stripe_customer_id)
       SELECT 'Bench tenant ' || g, 'cus_bench_' || md5(random()::text || g)
         FROM generate_series(1, $2::int) g
       RETURNING id
     )
     INSERT INTO subscriptions (tenant_id, plan_id, status, current_period_start, current_period_end, billing_anchor_day)
     SELECT tenant.id, plan.id, 'active', $3, $4, $5 FROM tenant CROSS JOIN plan
     RETURNING tenant_id`,
    [JSON.stringify(limits), count, period.start, period.end, period.start.getUTCDate()],
  );
  return { tenantIds: rows.map((row) => row.tenant_id).sort(), period };
}

/** Event `index` of a scenario: tenants and agents in rotation, a unique idempotency key. */
export function benchEvent(tag: string, tenantIds: readonly string[], index: number): TrackEventInput {
  const agent: AgentType = AGENT_TYPES[index % AGENT_TYPES.length]!;
  return {
    tenantId: tenantIds[index % tenantIds.length]!,
    agent,
    actionType: AGENT_ACTIONS[agent][0]!,
    resourceId: `${tag}-res-${index}`,
    idempotencyKey: `${tag}-${index}`,
  };
}

/** Sum of every counter. */
export async function counterSum(db: DataSource): Promise<number> {
  const [row] = await db.query(`SELECT coalesce(sum(count), 0)::bigint AS total FROM usage_counters`);
  return Number(row.total);
}

/**
 * Polls until the counters add up to `expected` and returns when that was seen (ms since epoch).
 * The 10 ms poll interval is the measurement's resolution.
 */
export async function waitForCounterSum(db: DataSource, expected: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const total = await counterSum(db);
    if (total >= expected) return Date.now();
    if (Date.now() > deadline) throw new Error(`counters reached ${total} of ${expected} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * The invariant: every event counted exactly once. Counter sum == events stored == distinct
 * (tenant, key) == what was sent, and every counter equals the sum of its own events.
 */
export async function verifyCountedExactly(db: DataSource, expected: number): Promise<{ ok: boolean; detail: string }> {
  const [row] = await db.query(`
    SELECT (SELECT coalesce(sum(count), 0) FROM usage_counters)::bigint AS counted,
           (SELECT count(*) FROM usage_events)::bigint AS events,
           (SELECT count(DISTINCT (tenant_id, idempotency_key)) FROM usage_events)::bigint AS distinct_events,
           (SELECT count(*) FROM usage_counters c
              FULL JOIN (SELECT tenant_id, agent, period_start, sum(quantity) AS total
                           FROM usage_events GROUP BY tenant_id, agent, period_start) e
                     USING (tenant_id, agent, period_start)
             WHERE c.count IS DISTINCT FROM e.total)::bigint AS mismatched`);
  const [counted, events, distinct, mismatched] = [row.counted, row.events, row.distinct_events, row.mismatched].map(Number);
  const ok = counted === expected && events === expected && distinct === expected && mismatched === 0;
  return { ok, detail: `sent ${expected}, counters ${counted}, events ${events}, distinct ${distinct}, counters off ${mismatched}` };
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight. */
export async function runPool(count: number, concurrency: number, task: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}
