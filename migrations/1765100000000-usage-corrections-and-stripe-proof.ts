import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 18: corrections and proof against Stripe.
 * - `usage_corrections`: append-only. A void (minus a stored event's quantity, at most once per
 *   event) or an adjustment (+/- quantity for a tenant, agent and period), with who, why and what
 *   it changed. Counters, rollups, reconciliation and the closed-period report add these deltas
 *   to the events; events themselves are never deleted or edited.
 * - `stripe_usage_reports`: a delta may be negative (Stripe meters accept negative values, see
 *   docs/stripe-corrections.md), a row may be `cancelled` (a meter event adjustment within 24 h of
 *   Stripe receiving it), and `purpose = 'resend'` marks a re-send of what Stripe's summaries show
 *   it lost (it restores Stripe's total; it is not new overage).
 * - `billing_credits`: overage reported for an invoiced period that a correction took back; an
 *   operator credits it by hand (the invoice is final) and marks it settled.
 * - `stripe_reconciliation_checks`: each comparison of Stripe's meter event summary with the
 *   ledger, and what was done about it.
 */
export class UsageCorrectionsAndStripeProof1765100000000 implements MigrationInterface {
  name = 'UsageCorrectionsAndStripeProof1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE usage_corrections (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL CONSTRAINT fk_usage_corrections_tenant REFERENCES tenants (id) ON DELETE CASCADE,
        correction_key varchar(255) NOT NULL,
        kind varchar(16) NOT NULL CONSTRAINT chk_usage_corrections_kind CHECK (kind IN ('void', 'adjustment')),
        agent varchar(16) NOT NULL CONSTRAINT chk_usage_corrections_agent CHECK (agent IN ('inbox', 'invoice', 'meeting')),
        period_start timestamptz NOT NULL,
        quantity_delta integer NOT NULL CONSTRAINT chk_usage_corrections_delta CHECK (quantity_delta <> 0),
        voided_idempotency_key varchar(255),
        resource_id varchar(255),
        occurred_at timestamptz NOT NULL,
        reason text NOT NULL CONSTRAINT chk_usage_corrections_reason CHECK (length(btrim(reason)) > 0),
        actor varchar(255) NOT NULL,
        counter_before bigint NOT NULL,
        counter_after bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_usage_corrections_key UNIQUE (tenant_id, correction_key),
        CONSTRAINT chk_usage_corrections_void_key CHECK ((kind = 'void') = (voided_idempotency_key IS NOT NULL))
      )`);
    // An event is voided at most once, whatever correction key is used.
    await queryRunner.query(
      `CREATE UNIQUE INDEX uq_usage_corrections_voided ON usage_corrections (tenant_id, voided_idempotency_key) WHERE voided_idempotency_key IS NOT NULL`,
    );
    // Recounts sum corrections per counter; the drill-down reads them in its keyset order.
    await queryRunner.query(`CREATE INDEX idx_usage_corrections_counter ON usage_corrections (tenant_id, agent, period_start)`);
    await queryRunner.query(`CREATE INDEX idx_usage_corrections_tenant_occurred ON usage_corrections (tenant_id, occurred_at, correction_key)`);

    await queryRunner.query(`ALTER TABLE stripe_usage_reports DROP CONSTRAINT chk_stripe_usage_reports_delta`);
    await queryRunner.query(`ALTER TABLE stripe_usage_reports ADD CONSTRAINT chk_stripe_usage_reports_delta CHECK (delta <> 0)`);
    await queryRunner.query(`ALTER TABLE stripe_usage_reports DROP CONSTRAINT chk_stripe_usage_reports_status`);
    await queryRunner.query(
      `ALTER TABLE stripe_usage_reports ADD CONSTRAINT chk_stripe_usage_reports_status CHECK (status IN ('pending', 'sent', 'failed', 'cancelled'))`,
    );
    await queryRunner.query(`ALTER TABLE stripe_usage_reports ADD COLUMN cancelled_at timestamptz`);
    await queryRunner.query(`ALTER TABLE stripe_usage_reports ADD COLUMN purpose varchar(16) NOT NULL DEFAULT 'overage'`);
    await queryRunner.query(
      `ALTER TABLE stripe_usage_reports ADD CONSTRAINT chk_stripe_usage_reports_purpose CHECK (purpose IN ('overage', 'resend'))`,
    );

    await queryRunner.query(`
      CREATE TABLE billing_credits (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL CONSTRAINT fk_billing_credits_tenant REFERENCES tenants (id) ON DELETE CASCADE,
        agent varchar(16) NOT NULL,
        period_start timestamptz NOT NULL,
        period_end timestamptz NOT NULL,
        quantity bigint NOT NULL CONSTRAINT chk_billing_credits_quantity CHECK (quantity > 0),
        amount_cents bigint NOT NULL CONSTRAINT chk_billing_credits_amount CHECK (amount_cents >= 0),
        reported_quantity bigint NOT NULL,
        owed_quantity bigint NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'open' CONSTRAINT chk_billing_credits_status CHECK (status IN ('open', 'settled')),
        settled_at timestamptz,
        settled_by varchar(255),
        settlement_note text,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_billing_credits_owed UNIQUE (tenant_id, agent, period_start, owed_quantity)
      )`);
    await queryRunner.query(`CREATE INDEX idx_billing_credits_open ON billing_credits (created_at) WHERE status = 'open'`);

    await queryRunner.query(`
      CREATE TABLE stripe_reconciliation_checks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL CONSTRAINT fk_stripe_reconciliation_checks_tenant REFERENCES tenants (id) ON DELETE CASCADE,
        agent varchar(16) NOT NULL,
        period_start timestamptz NOT NULL,
        period_end timestamptz NOT NULL,
        meter_id varchar(255) NOT NULL,
        ledger_quantity bigint NOT NULL,
        stripe_quantity double precision NOT NULL,
        outcome varchar(16) NOT NULL CONSTRAINT chk_stripe_reconciliation_checks_outcome CHECK (outcome IN ('matched', 'resent', 'stripe_higher', 'unbilled')),
        resend_identifier varchar(100),
        checked_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX idx_stripe_reconciliation_checks_period ON stripe_reconciliation_checks (tenant_id, agent, period_start)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The old ledger cannot hold cancelled, negative or re-sent rows; dropping them would make the
    // reporter bill them again, so a database that has any is not reverted.
    const [{ n }] = await queryRunner.query(
      `SELECT count(*)::int AS n FROM stripe_usage_reports WHERE delta < 0 OR status = 'cancelled' OR purpose <> 'overage'`,
    );
    if (n > 0) {
      throw new Error(`${n} ledger rows are negative, cancelled or re-sends: reverting would make Stripe bill them again; refused`);
    }
    await queryRunner.query(`DROP TABLE stripe_reconciliation_checks`);
    await queryRunner.query(`DROP TABLE billing_credits`);
    await queryRunner.query(`ALTER TABLE stripe_usage_reports DROP CONSTRAINT chk_stripe_usage_reports_purpose`);
    await queryRunner.query(`ALTER TABLE stripe_usage_reports DROP COLUMN purpose`);
    await queryRunner.query(`ALTER TABLE stripe_usage_reports DROP COLUMN cancelled_at`);
    await queryRunner.query(`ALTER TABLE stripe_usage_reports DROP CONSTRAINT chk_stripe_usage_reports_status`);
    await queryRunner.query(
      `ALTER TABLE stripe_usage_reports ADD CONSTRAINT chk_stripe_usage_reports_status CHECK (status IN ('pending', 'sent', 'failed'))`,
    );
    await queryRunner.query(`ALTER TABLE stripe_usage_reports DROP CONSTRAINT chk_stripe_usage_reports_delta`);
    await queryRunner.query(`ALTER TABLE stripe_usage_reports ADD CONSTRAINT chk_stripe_usage_reports_delta CHECK (delta > 0)`);
    // Counters keep the corrections already applied to them; the next reconciliation recounts
    // them from the events alone.
    await queryRunner.query(`DROP TABLE usage_corrections`);
  }
}
