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
  /**
   * What Stripe has (or will have) of it: the ledger's overage deltas sent or pending (failed rows
   * never reached Stripe, cancelled ones were taken back), less what was recorded as credits.
   */
  alreadyReported: number;
  /** Cancelled or negative ledger rows of the period so far: new identifiers must not repeat old ones. */
  correctionGeneration: number;
  /** The period's overage unit price (its terms, else the plan's); 0 when none is set. */
  unitCents: number;
  /** overage - alreadyReported; negative when the counter was corrected below what was reported. */
  delta: number;
  stripeCustomerId: string | null;
  meterEventName: string | null;
  subscriptionItemId: string | null;
}

/*
 * One set-based statement for all tenants: the counters of every period that Stripe can still be
 * told about (its end within STRIPE_TIMESTAMP_WINDOW_MS of now, not in the future) of every
 * active or past-due subscription with a plan, minus the ledger. Trials are never billed. A
 * canceled subscription is billed for its closed periods up to its last one: canceled at the end
 * of a period (Stripe's usual cancellation), that period's final overage still goes out.
 * - The quota and meter event name come from the period's own terms (billing_period_terms),
 *   written when it opened, so a plan change never re-prices it; a period without terms (opened
 *   before the terms existed) falls back to the subscription's plan.
 * - A closed period (end <= now) is counted from usage_events plus usage_corrections, the source
 *   of truth, not from its counter: its final report must not carry a counter's drift (the
 *   index-only recount is cheap; bounding occurred_at by the period lets Postgres read only that
 *   period's monthly partitions).
 * - What Stripe has is the sum of the ledger's overage deltas (negative ones and cancellations
 *   included: corrections, issue 18) less the credits recorded for a final invoice; re-sends of
 *   what Stripe lost (`purpose = 'resend'`) restore Stripe's total and are not counted here.
 * - A counter with an open hold (reconciliation found drift beyond the alert threshold) is not
 *   billed until an operator resolves the hold.
 * - $4 = true: closed periods only, ended after $6 (the every-minute close job: it recounts only
 *   the periods that ended recently; the daily report covers all of Stripe's window).
 */
const OVERAGE_SQL = `
WITH limit_keys AS (
  SELECT key AS agent, value AS limit_key FROM jsonb_each_text($1::jsonb)
), counters AS (
  SELECT c.tenant_id, c.agent, c.period_start, c.period_end, t.stripe_customer_id,
         CASE WHEN c.period_end <= $2
              THEN (SELECT coalesce(sum(e.quantity), 0) FROM usage_events e
                     WHERE e.tenant_id = c.tenant_id AND e.agent = c.agent AND e.period_start = c.period_start
                       AND e.occurred_at >= c.period_start AND e.occurred_at < c.period_end)
                 + (SELECT coalesce(sum(k.quantity_delta), 0) FROM usage_corrections k
                     WHERE k.tenant_id = c.tenant_id AND k.agent = c.agent AND k.period_start = c.period_start)
              ELSE c.count END AS count,
         CASE WHEN jsonb_typeof(coalesce(bt.limits, p.limits) -> k.limit_key) = 'number'
              THEN floor((coalesce(bt.limits, p.limits) ->> k.limit_key)::numeric)::bigint END AS quota,
         coalesce(bt.meter_event_names, p.meter_event_names) ->> c.agent AS meter_event_name,
         coalesce(bt.overage_unit_cents, p.overage_unit_cents) ->> c.agent AS unit_cents,
         s.stripe_subscription_item_ids ->> c.agent AS subscription_item_id
    FROM subscriptions s
    JOIN plans p ON p.id = s.plan_id
    JOIN tenants t ON t.id = s.tenant_id
    JOIN usage_counters c ON c.tenant_id = s.tenant_id
                         AND c.period_end > $5
                         AND c.period_start <= $2
                         AND (NOT $4::boolean OR (c.period_end <= $2 AND c.period_end > $6))
    JOIN limit_keys k ON k.agent = c.agent
    LEFT JOIN billing_period_terms bt ON bt.tenant_id = c.tenant_id AND bt.period_start = c.period_start
   WHERE (s.status IN ('active', 'past_due')
          OR (s.status = 'canceled' AND c.period_end <= $2 AND c.period_end <= s.current_period_end))
     AND ($3::uuid IS NULL OR s.tenant_id = $3::uuid)
     AND NOT EXISTS (
       SELECT 1 FROM usage_counter_holds h
        WHERE h.tenant_id = c.tenant_id AND h.agent = c.agent AND h.period_start = c.period_start AND h.resolved_at IS NULL)
)
SELECT c.*, greatest(c.count - c.quota, 0) AS overage, r.reported - k.credited AS already_reported, r.generation
  FROM counters c
  CROSS JOIN LATERAL (
    SELECT coalesce(sum(delta) FILTER (WHERE status IN ('pending', 'sent')), 0) AS reported,
           count(*) FILTER (WHERE status = 'cancelled' OR delta < 0) AS generation
      FROM stripe_usage_reports r
     WHERE r.tenant_id = c.tenant_id AND r.agent = c.agent AND r.period_start = c.period_start
       AND r.purpose = 'overage'
  ) r
  CROSS JOIN LATERAL (
    SELECT coalesce(sum(quantity), 0) AS credited
      FROM billing_credits k
     WHERE k.tenant_id = c.tenant_id AND k.agent = c.agent AND k.period_start = c.period_start
  ) k
 WHERE c.quota >= 0
   AND greatest(c.count - c.quota, 0) <> r.reported - k.credited
 ORDER BY c.tenant_id, c.agent, c.period_start`;

/**
 * Stripe refuses a meter event whose timestamp is more than 35 days in the past; an hour of margin
 * keeps a report written at the edge from being refused when it is sent.
 */
export const STRIPE_TIMESTAMP_WINDOW_MS = 35 * 86_400_000 - 3_600_000;

interface OverageRow {
  tenant_id: string;
  agent: AgentType;
  period_start: Date;
  period_end: Date;
  count: string;
  quota: string;
  overage: string;
  already_reported: string;
  generation: string;
  unit_cents: string | null;
  stripe_customer_id: string | null;
  meter_event_name: string | null;
  subscription_item_id: string | null;
}

/** Which candidates to look for: one tenant's, and only those of closed periods. */
export interface OverageCandidateFilter {
  tenantId?: string;
  /** Only periods that ended within CLOSE_LOOKBACK_MS (the close job). */
  closedPeriodsOnly?: boolean;
}

/**
 * How far back the close job looks for ended periods: long enough to catch up after a worker
 * outage of a day or two (an invoice is final by then anyway: 1 h grace by default, 72 h at most),
 * short enough that a run every minute recounts only the few periods that ended recently.
 */
export const CLOSE_LOOKBACK_MS = 3 * 86_400_000;

/** Every (tenant, agent, period) whose overage is not what the ledger says Stripe has (or will have). */
export async function findOverageCandidates(db: DataSource, now: Date, filter: OverageCandidateFilter = {}): Promise<OverageCandidate[]> {
  const oldestEnd = new Date(now.getTime() - STRIPE_TIMESTAMP_WINDOW_MS);
  const rows = (await db.query(OVERAGE_SQL, [
    JSON.stringify(AGENT_LIMIT_KEYS),
    now,
    filter.tenantId ?? null,
    filter.closedPeriodsOnly === true,
    oldestEnd,
    new Date(now.getTime() - CLOSE_LOOKBACK_MS),
  ])) as OverageRow[];
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
      correctionGeneration: Number(row.generation),
      unitCents: Number(row.unit_cents ?? 0) || 0,
      stripeCustomerId: row.stripe_customer_id,
      meterEventName: row.meter_event_name,
      subscriptionItemId: row.subscription_item_id,
    };
  });
}
