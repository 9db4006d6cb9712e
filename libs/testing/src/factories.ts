import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { calendarMonthOf } from '@metering/usage';
import type { AgentType, BillingPeriod, PerAgent, PlanLimits, SubscriptionStatus } from '@metering/usage';

export interface PlanSeed {
  code?: string;
  name?: string;
  limits?: PlanLimits;
  overageUnitCents?: PerAgent<number>;
  meterEventNames?: PerAgent<string>;
  /** Per agent `overage` (the default) or `block`. */
  limitPolicies?: PerAgent<string>;
}

export const STARTER_LIMITS: PlanLimits = { emails_per_month: 1000, invoices_per_month: 200, meetings_per_month: null };
export const STARTER_OVERAGE_CENTS: PerAgent<number> = { inbox: 2, invoice: 10, meeting: 50 };

/** Inserts a plan (defaults: the Starter plan of DESIGN.md with a unique code); returns its id. */
export async function seedPlan(db: DataSource, seed: PlanSeed = {}): Promise<{ id: string; code: string }> {
  const code = seed.code ?? `plan-${randomUUID().slice(0, 8)}`;
  const [row] = await db.query(
    `INSERT INTO plans (code, name, limits, overage_unit_cents, meter_event_names, limit_policies)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [
      code,
      seed.name ?? 'Starter',
      JSON.stringify(seed.limits ?? STARTER_LIMITS),
      JSON.stringify(seed.overageUnitCents ?? STARTER_OVERAGE_CENTS),
      JSON.stringify(seed.meterEventNames ?? { inbox: 'inbox_overage', invoice: 'invoice_overage', meeting: 'meeting_overage' }),
      JSON.stringify(seed.limitPolicies ?? {}),
    ],
  );
  return { id: row.id as string, code };
}

export interface TenantSeed {
  name?: string;
  planId?: string | null;
  status?: SubscriptionStatus | `${SubscriptionStatus}`;
  period?: BillingPeriod;
  anchorDay?: number;
  stripeCustomerId?: string | null;
  stripeSubscriptionId?: string | null;
  stripeSubscriptionItemIds?: PerAgent<string>;
  /** false: the tenant gets no subscription row. */
  withSubscription?: boolean;
}

/** Inserts a tenant and (by default) an active subscription for the current calendar month. */
export async function seedTenant(db: DataSource, seed: TenantSeed = {}): Promise<{ tenantId: string; period: BillingPeriod }> {
  const [tenant] = await db.query(`INSERT INTO tenants (name, stripe_customer_id) VALUES ($1, $2) RETURNING id`, [
    seed.name ?? 'Test tenant',
    seed.stripeCustomerId === undefined ? `cus_${randomUUID().replace(/-/g, '').slice(0, 14)}` : seed.stripeCustomerId,
  ]);
  const period = seed.period ?? calendarMonthOf(new Date());
  if (seed.withSubscription !== false) {
    await db.query(
      `INSERT INTO subscriptions (tenant_id, plan_id, status, current_period_start, current_period_end,
                                  billing_anchor_day, stripe_subscription_id, stripe_subscription_item_ids)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        tenant.id,
        seed.planId ?? null,
        seed.status ?? 'active',
        period.start,
        period.end,
        seed.anchorDay ?? period.start.getUTCDate(),
        seed.stripeSubscriptionId ?? null,
        JSON.stringify(seed.stripeSubscriptionItemIds ?? {}),
      ],
    );
    // The terms the period opened with, as roll-over and the admin service write them.
    await db.query(
      `INSERT INTO billing_period_terms (tenant_id, period_start, period_end, plan_id, limits, overage_unit_cents, meter_event_names)
       SELECT s.tenant_id, s.current_period_start, s.current_period_end, p.id, p.limits, p.overage_unit_cents, p.meter_event_names
         FROM subscriptions s JOIN plans p ON p.id = s.plan_id WHERE s.tenant_id = $1`,
      [tenant.id],
    );
  }
  return { tenantId: tenant.id as string, period };
}

/** Sets a counter directly (bypassing events), e.g. to start a test at 85% of a limit. */
export async function seedCounter(
  db: DataSource,
  tenantId: string,
  agent: AgentType | `${AgentType}`,
  period: BillingPeriod,
  count: number,
): Promise<void> {
  await db.query(
    `INSERT INTO usage_counters (tenant_id, agent, period_start, period_end, count)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant_id, agent, period_start) DO UPDATE SET count = excluded.count`,
    [tenantId, agent, period.start, period.end, count],
  );
}

/** Counter value of one (tenant, agent, period), 0 when the counter does not exist. */
export async function counterValue(db: DataSource, tenantId: string, agent: string, periodStart?: Date): Promise<number> {
  const [row] = await db.query(
    `SELECT count FROM usage_counters WHERE tenant_id = $1 AND agent = $2 AND period_start = coalesce($3, period_start)
     ORDER BY period_start DESC LIMIT 1`,
    [tenantId, agent, periodStart ?? null],
  );
  return row ? Number(row.count) : 0;
}

/** Sum of event quantities of one tenant (and agent, when given). */
export async function eventQuantitySum(db: DataSource, tenantId: string, agent?: string): Promise<number> {
  const [row] = await db.query(
    `SELECT coalesce(sum(quantity), 0) AS total FROM usage_events WHERE tenant_id = $1 AND agent = coalesce($2, agent)`,
    [tenantId, agent ?? null],
  );
  return Number(row.total);
}

/**
 * Usage as the tracker leaves it: one event of `quantity` in the period (occurred at its start)
 * and the counter at the period's event total. Closed periods are billed from events, so a test
 * of a closed period's bill seeds events, not just a counter.
 */
export async function seedCountedUsage(
  db: DataSource,
  tenantId: string,
  agent: AgentType | `${AgentType}`,
  period: BillingPeriod,
  quantity: number,
): Promise<void> {
  const action = { inbox: 'email_processed', invoice: 'invoice_detected', meeting: 'meeting_prep' }[agent];
  // An event and its key, as COMMIT_EVENTS_SQL writes them.
  await db.query(
    `WITH keyed AS (INSERT INTO usage_event_keys (tenant_id, idempotency_key, occurred_at) VALUES ($1, $4, $6))
     INSERT INTO usage_events (tenant_id, agent, action_type, resource_id, quantity, idempotency_key, occurred_at, period_start)
     VALUES ($1, $2, $3, $4, $5, $4, $6, $6)`,
    [tenantId, agent, action, `seed-${randomUUID()}`, quantity, period.start],
  );
  const [{ total }] = await db.query(
    `SELECT sum(quantity)::bigint AS total FROM usage_events WHERE tenant_id = $1 AND agent = $2 AND period_start = $3`,
    [tenantId, agent, period.start],
  );
  await seedCounter(db, tenantId, agent, period, Number(total));
}
