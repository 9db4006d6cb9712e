import type { DataSource } from 'typeorm';
import { AGENT_LIMIT_KEYS } from '@metering/usage';
import type { AgentType } from '@metering/usage';

/** One (tenant, agent, period) whose overage differs from what the ledger has sent or queued. */
export interface OverageCandidate {
  tenantId: string;
  agent: AgentType;
  periodStart: Date;
  periodEnd: Date;
  count: number;
  quota: number;
  overage: number;
  /** Highest cumulative quantity in the ledger as sent or pending (failed rows never reached Stripe). */
  alreadyReported: number;
  /** overage - alreadyReported; negative when the counter was corrected below what was reported. */
  delta: number;
  stripeCustomerId: string | null;
  meterEventName: string | null;
  subscriptionItemId: string | null;
}

/*
 * One set-based statement for all tenants: counters of the current period and the just-closed
 * one (its end is the current period's start) of every active or past-due subscription with a plan,
 * against the plan's limit for that agent (limitFor's rule: a non-negative number, else unlimited),
 * minus the ledger. Trials are never billed; canceled subscriptions are not either.
 */
const OVERAGE_SQL = `
WITH limit_keys AS (
  SELECT key AS agent, value AS limit_key FROM jsonb_each_text($1::jsonb)
), counters AS (
  SELECT c.tenant_id, c.agent, c.period_start, c.period_end, c.count, t.stripe_customer_id,
         CASE WHEN jsonb_typeof(p.limits -> k.limit_key) = 'number'
              THEN floor((p.limits ->> k.limit_key)::numeric)::bigint END AS quota,
         p.meter_event_names ->> c.agent AS meter_event_name,
         s.stripe_subscription_item_ids ->> c.agent AS subscription_item_id
    FROM subscriptions s
    JOIN plans p ON p.id = s.plan_id
    JOIN tenants t ON t.id = s.tenant_id
    JOIN usage_counters c ON c.tenant_id = s.tenant_id
                         AND c.period_end >= s.current_period_start
                         AND c.period_start <= $2
    JOIN limit_keys k ON k.agent = c.agent
   WHERE s.status IN ('active', 'past_due')
     AND ($3::uuid IS NULL OR s.tenant_id = $3::uuid)
)
SELECT c.*, greatest(c.count - c.quota, 0) AS overage, coalesce(r.reported, 0) AS already_reported
  FROM counters c
  LEFT JOIN LATERAL (
    SELECT max(cumulative_quantity) AS reported
      FROM stripe_usage_reports r
     WHERE r.tenant_id = c.tenant_id AND r.agent = c.agent AND r.period_start = c.period_start
       AND r.status IN ('pending', 'sent')
  ) r ON true
 WHERE c.quota >= 0
   AND greatest(c.count - c.quota, 0) <> coalesce(r.reported, 0)
 ORDER BY c.tenant_id, c.agent, c.period_start`;

interface OverageRow {
  tenant_id: string;
  agent: AgentType;
  period_start: Date;
  period_end: Date;
  count: string;
  quota: string;
  overage: string;
  already_reported: string;
  stripe_customer_id: string | null;
  meter_event_name: string | null;
  subscription_item_id: string | null;
}

/** Every (tenant, agent, period) whose overage is not what the ledger says Stripe has (or will have). */
export async function findOverageCandidates(db: DataSource, now: Date, tenantId?: string): Promise<OverageCandidate[]> {
  const rows = (await db.query(OVERAGE_SQL, [JSON.stringify(AGENT_LIMIT_KEYS), now, tenantId ?? null])) as OverageRow[];
  return rows.map((row) => {
    const overage = Number(row.overage);
    const alreadyReported = Number(row.already_reported);
    return {
      tenantId: row.tenant_id,
      agent: row.agent,
      periodStart: row.period_start,
      periodEnd: row.period_end,
      count: Number(row.count),
      quota: Number(row.quota),
      overage,
      alreadyReported,
      delta: overage - alreadyReported,
      stripeCustomerId: row.stripe_customer_id,
      meterEventName: row.meter_event_name,
      subscriptionItemId: row.subscription_item_id,
    };
  });
}
