import type { DataSource, EntityManager } from 'typeorm';

/*
 * Copies the plan terms onto the subscription's current period unless that period already has
 * terms: the terms a period opened with are the ones it is billed with (README "Stripe billing").
 */
const SNAPSHOT_CURRENT_SQL = `
INSERT INTO billing_period_terms (tenant_id, period_start, period_end, plan_id, limits, overage_unit_cents, meter_event_names)
SELECT s.tenant_id, s.current_period_start, s.current_period_end, p.id, p.limits, p.overage_unit_cents, p.meter_event_names
  FROM subscriptions s JOIN plans p ON p.id = s.plan_id
 WHERE s.tenant_id = $1
ON CONFLICT (tenant_id, period_start) DO NOTHING`;

/*
 * Stripe moved the period boundary to $3, inside the period that started at $2: that period now
 * ends at $3, and its quotas shrink in proportion to the time it lasted (floored), so the stretch
 * from $2 to the new period's end never carries two full quotas. Unlimited (null) stays unlimited.
 */
const TRUNCATE_SQL = `
WITH old AS (
  SELECT tenant_id, period_start, period_end, limits FROM billing_period_terms
   WHERE tenant_id = $1 AND period_start = $2 AND period_end > $3 AND $3 > period_start
   FOR UPDATE
), prorated AS (
  SELECT o.tenant_id, o.period_start,
         coalesce(jsonb_object_agg(l.key, CASE WHEN jsonb_typeof(l.value) = 'number'
             THEN to_jsonb(floor(l.value::text::numeric * extract(epoch FROM ($3::timestamptz - o.period_start))
                                 / extract(epoch FROM (o.period_end - o.period_start)))::bigint)
             ELSE l.value END) FILTER (WHERE l.key IS NOT NULL), '{}'::jsonb) AS limits
    FROM old o LEFT JOIN LATERAL jsonb_each(o.limits) l ON true
   GROUP BY o.tenant_id, o.period_start
), terms AS (
  UPDATE billing_period_terms t SET period_end = $3, limits = p.limits
    FROM prorated p WHERE t.tenant_id = p.tenant_id AND t.period_start = p.period_start
  RETURNING 1
)
UPDATE usage_counters SET period_end = $3, updated_at = now()
 WHERE tenant_id = $1 AND period_start = $2 AND period_end > $3`;

/** The terms (quota, unit prices, meter names) each billing period is billed with. */
export class PeriodTermsRepository {
  constructor(private readonly db: DataSource | EntityManager) {}

  /** Gives the tenant's current period the terms of its plan, unless it has terms already. */
  async snapshotCurrentPeriod(tenantId: string): Promise<void> {
    await this.db.query(SNAPSHOT_CURRENT_SQL, [tenantId]);
  }

  /**
   * The period starting at `periodStart` ends early, at `newEnd` (Stripe moved the boundary):
   * its terms and counters end there, and its quotas are prorated to the time it lasted.
   */
  async truncatePeriod(tenantId: string, periodStart: Date, newEnd: Date): Promise<void> {
    await this.db.query(TRUNCATE_SQL, [tenantId, periodStart, newEnd]);
  }
}
