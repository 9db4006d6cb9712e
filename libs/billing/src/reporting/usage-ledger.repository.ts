import type { DataSource } from 'typeorm';
import type { AgentType } from '@metering/usage';
import type { StripeReportPurpose } from '../entities/stripe-usage-report.entity';

/** A ledger row to send (or re-send) to Stripe, exactly as it was written. */
export interface PendingReport {
  id: string;
  tenantId: string;
  agent: AgentType;
  periodStart: Date;
  periodEnd: Date;
  cumulativeQuantity: number;
  delta: number;
  identifier: string;
  meterEventName: string | null;
  stripeCustomerId: string | null;
  eventTimestamp: Date;
  attempts: number;
  /** Legacy usage-records mode: the subscription item of this agent. */
  subscriptionItemId: string | null;
  /** When the row was written; Stripe deduplicates identifiers for about 24 hours after a send. */
  createdAt: Date;
  /** `resend`: restores what Stripe's summary shows it lost (not new overage). */
  purpose: StripeReportPurpose;
}

/** A sent overage row that a correction may cancel (Stripe: within 24 h of receiving it). */
export interface SentReport {
  id: string;
  identifier: string;
  delta: number;
  meterEventName: string | null;
  sentAt: Date;
}

/** A new pending row, before it exists. */
export type NewReport = Omit<PendingReport, 'id' | 'attempts' | 'subscriptionItemId' | 'createdAt'>;

const INSERT_BATCH = 1000;

/**
 * Reads and writes the `stripe_usage_reports` ledger. Rows are written pending before Stripe is
 * called and marked sent after, so a crash in between leaves a pending row that the next run
 * re-sends with the same identifier.
 */
export class UsageLedgerRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Inserts pending rows in batches. An identifier already in the ledger as `failed` (Stripe
   * rejected it, so it never counted) is revived as pending with the fresh values; one already
   * pending or sent is left alone.
   */
  async insertPending(reports: readonly NewReport[]): Promise<number> {
    let written = 0;
    for (let i = 0; i < reports.length; i += INSERT_BATCH) {
      const batch = reports.slice(i, i + INSERT_BATCH);
      const column = <K extends keyof NewReport>(key: K): Array<NewReport[K]> => batch.map((r) => r[key]);
      const rows = (await this.db.query(
        `INSERT INTO stripe_usage_reports (tenant_id, agent, period_start, period_end, cumulative_quantity, delta,
                                           identifier, meter_event_name, stripe_customer_id, event_timestamp, purpose, status)
         SELECT u.*, 'pending'
           FROM unnest($1::uuid[], $2::varchar[], $3::timestamptz[], $4::timestamptz[], $5::bigint[], $6::bigint[],
                       $7::varchar[], $8::varchar[], $9::varchar[], $10::timestamptz[], $11::varchar[]) AS u
         ON CONFLICT (identifier) DO UPDATE
            SET status = 'pending', delta = excluded.delta, meter_event_name = excluded.meter_event_name,
                stripe_customer_id = excluded.stripe_customer_id, event_timestamp = excluded.event_timestamp,
                updated_at = now()
          WHERE stripe_usage_reports.status = 'failed'
         RETURNING id`,
        [
          column('tenantId'),
          column('agent'),
          column('periodStart'),
          column('periodEnd'),
          column('cumulativeQuantity'),
          column('delta'),
          column('identifier'),
          column('meterEventName'),
          column('stripeCustomerId'),
          column('eventTimestamp'),
          column('purpose'),
        ],
      )) as unknown[];
      written += rows.length;
    }
    return written;
  }

  /** Every pending row, oldest first (a crashed run's rows go out before newer ones). */
  async findPending(tenantId?: string): Promise<PendingReport[]> {
    const rows = (await this.db.query(
      `SELECT r.id, r.tenant_id, r.agent, r.period_start, r.period_end, r.cumulative_quantity, r.delta, r.identifier,
              r.meter_event_name, r.stripe_customer_id, r.event_timestamp, r.attempts, r.created_at, r.purpose,
              s.stripe_subscription_item_ids ->> r.agent AS subscription_item_id
         FROM stripe_usage_reports r
         LEFT JOIN subscriptions s ON s.tenant_id = r.tenant_id
        WHERE r.status = 'pending' AND ($1::uuid IS NULL OR r.tenant_id = $1::uuid)
        ORDER BY r.created_at, r.id`,
      [tenantId ?? null],
    )) as Array<Record<string, unknown>>;
    return rows.map((row) => ({
      id: row.id as string,
      tenantId: row.tenant_id as string,
      agent: row.agent as AgentType,
      periodStart: row.period_start as Date,
      periodEnd: row.period_end as Date,
      cumulativeQuantity: Number(row.cumulative_quantity),
      delta: Number(row.delta),
      identifier: row.identifier as string,
      meterEventName: row.meter_event_name as string | null,
      stripeCustomerId: row.stripe_customer_id as string | null,
      eventTimestamp: row.event_timestamp as Date,
      attempts: Number(row.attempts),
      subscriptionItemId: (row.subscription_item_id as string | null) ?? null,
      createdAt: row.created_at as Date,
      purpose: row.purpose as StripeReportPurpose,
    }));
  }

  /** The period's sent overage rows Stripe received since `since`, newest first (cancellable ones). */
  async sentSince(tenantId: string, agent: AgentType, periodStart: Date, since: Date): Promise<SentReport[]> {
    const rows = (await this.db.query(
      `SELECT id, identifier, delta, meter_event_name, sent_at FROM stripe_usage_reports
        WHERE tenant_id = $1 AND agent = $2 AND period_start = $3 AND purpose = 'overage'
          AND status = 'sent' AND delta > 0 AND sent_at >= $4
        ORDER BY sent_at DESC, cumulative_quantity DESC`,
      [tenantId, agent, periodStart, since],
    )) as Array<{ id: string; identifier: string; delta: string; meter_event_name: string | null; sent_at: Date }>;
    return rows.map((r) => ({ id: r.id, identifier: r.identifier, delta: Number(r.delta), meterEventName: r.meter_event_name, sentAt: r.sent_at }));
  }

  /** Stripe cancelled the row's meter event: it no longer counts toward what Stripe has. */
  async markCancelled(id: string, at: Date): Promise<void> {
    await this.db.query(`UPDATE stripe_usage_reports SET status = 'cancelled', cancelled_at = $2, updated_at = now() WHERE id = $1 AND status = 'sent'`, [id, at]);
  }

  /** Marks rows sent in one statement; `attempts` are the HTTP attempts each one took. */
  async markSent(sent: ReadonlyArray<{ id: string; attempts: number }>, sentAt: Date): Promise<void> {
    if (sent.length === 0) return;
    await this.db.query(
      `UPDATE stripe_usage_reports r
          SET status = 'sent', sent_at = $3, attempts = r.attempts + u.attempts, last_error = NULL, updated_at = now()
         FROM unnest($1::uuid[], $2::int[]) AS u(id, attempts)
        WHERE r.id = u.id AND r.status = 'pending'`,
      [sent.map((s) => s.id), sent.map((s) => s.attempts), sentAt],
    );
  }

  /** Stripe rejected the row: it will not be retried as is. */
  async markFailed(id: string, attempts: number, error: string): Promise<void> {
    await this.db.query(
      `UPDATE stripe_usage_reports SET status = 'failed', attempts = attempts + $2, last_error = $3, updated_at = now()
        WHERE id = $1 AND status = 'pending'`,
      [id, attempts, error],
    );
  }

  /** The row stays pending for the next run; only the attempt count and error are recorded. */
  async recordTransientFailure(id: string, attempts: number, error: string): Promise<void> {
    await this.db.query(
      `UPDATE stripe_usage_reports SET attempts = attempts + $2, last_error = $3, updated_at = now()
        WHERE id = $1 AND status = 'pending'`,
      [id, attempts, error],
    );
  }
}
