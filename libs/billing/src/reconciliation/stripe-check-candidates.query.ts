import type { DataSource } from 'typeorm';
import type { AgentType } from '@metering/usage';
import { STRIPE_TIMESTAMP_WINDOW_MS } from '../reporting/overage-candidates.query';

/** One (tenant, agent, period, customer, meter event) the ledger has told Stripe about. */
export interface StripeCheckCandidate {
  tenantId: string;
  agent: AgentType;
  periodStart: Date;
  periodEnd: Date;
  stripeCustomerId: string;
  meterEventName: string;
  /** Sum of the sent overage deltas: what Stripe should hold for the period. */
  ledgerQuantity: number;
  /** Re-sends of lost meter events so far (each needs a new identifier). */
  resends: number;
  /** A row still pending, or a send or cancel younger than the settle delay: not compared yet. */
  unsettled: boolean;
}

/*
 * Periods still inside Stripe's 35-day meter window, per customer and meter event name, from the
 * ledger alone: a period Stripe was never told about has nothing to compare. $3: the settle
 * cutoff (Stripe's summaries are eventually consistent).
 */
const STRIPE_CHECK_CANDIDATES_SQL = `
SELECT tenant_id, agent, period_start, max(period_end) AS period_end, stripe_customer_id, meter_event_name,
       coalesce(sum(delta) FILTER (WHERE status = 'sent' AND purpose = 'overage'), 0) AS ledger_quantity,
       count(*) FILTER (WHERE purpose = 'resend') AS resends,
       bool_or(status = 'pending' OR greatest(sent_at, cancelled_at) > $3) AS unsettled
  FROM stripe_usage_reports
 WHERE period_end > $1 AND ($2::uuid IS NULL OR tenant_id = $2::uuid)
   AND stripe_customer_id IS NOT NULL AND meter_event_name IS NOT NULL
   AND status IN ('pending', 'sent', 'cancelled')
 GROUP BY tenant_id, agent, period_start, stripe_customer_id, meter_event_name
 ORDER BY tenant_id, agent, period_start`;

export async function findStripeCheckCandidates(db: DataSource, now: Date, settleMs: number, tenantId?: string): Promise<StripeCheckCandidate[]> {
  const rows = (await db.query(STRIPE_CHECK_CANDIDATES_SQL, [
    new Date(now.getTime() - STRIPE_TIMESTAMP_WINDOW_MS),
    tenantId ?? null,
    new Date(now.getTime() - settleMs),
  ])) as Array<{
    tenant_id: string;
    agent: AgentType;
    period_start: Date;
    period_end: Date;
    stripe_customer_id: string;
    meter_event_name: string;
    ledger_quantity: string;
    resends: string;
    unsettled: boolean;
  }>;
  return rows.map((row) => ({
    tenantId: row.tenant_id,
    agent: row.agent,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    stripeCustomerId: row.stripe_customer_id,
    meterEventName: row.meter_event_name,
    ledgerQuantity: Number(row.ledger_quantity),
    resends: Number(row.resends),
    unsettled: row.unsettled === true,
  }));
}
