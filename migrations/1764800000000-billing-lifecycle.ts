import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The billing lifecycle (issue 15):
 * - `billing_period_terms`: the plan terms (quota and unit price per agent, meter event names) in
 *   force for one tenant's period, written when the period opens. Billing prices a period from
 *   its row, never from the plan as it is today, so a plan change cannot re-price a closed period.
 *   Existing subscriptions get a row for their current period from their plan.
 * - `usage_dead_letters`: events the worker could not count after the API accepted them, with the
 *   reason; an operator lists and replays them (CLI).
 * - `usage_counter_holds`: counters reconciliation found drifting beyond the alert threshold;
 *   billing skips them until an operator resolves the hold.
 */
export class BillingLifecycle1764800000000 implements MigrationInterface {
  name = 'BillingLifecycle1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE billing_period_terms (
        tenant_id uuid NOT NULL CONSTRAINT fk_billing_period_terms_tenant REFERENCES tenants (id) ON DELETE CASCADE,
        period_start timestamptz NOT NULL,
        period_end timestamptz NOT NULL,
        plan_id uuid,
        limits jsonb NOT NULL DEFAULT '{}'::jsonb,
        overage_unit_cents jsonb NOT NULL DEFAULT '{}'::jsonb,
        meter_event_names jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_billing_period_terms PRIMARY KEY (tenant_id, period_start),
        CONSTRAINT chk_billing_period_terms_period CHECK (period_end > period_start)
      )`);
    await queryRunner.query(`
      INSERT INTO billing_period_terms (tenant_id, period_start, period_end, plan_id, limits, overage_unit_cents, meter_event_names)
      SELECT s.tenant_id, s.current_period_start, s.current_period_end, p.id, p.limits, p.overage_unit_cents, p.meter_event_names
        FROM subscriptions s JOIN plans p ON p.id = s.plan_id`);

    await queryRunner.query(`
      CREATE TABLE usage_dead_letters (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        idempotency_key varchar(255) NOT NULL,
        event jsonb NOT NULL,
        reason varchar(32) NOT NULL
          CONSTRAINT chk_usage_dead_letters_reason CHECK (reason IN
            ('tenant_not_found', 'subscription_not_found', 'subscription_inactive', 'outside_window', 'period_final', 'idempotency_conflict', 'invalid_event', 'quota_exceeded')),
        detail text NOT NULL,
        job_id varchar(255),
        created_at timestamptz NOT NULL DEFAULT now(),
        replayed_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX idx_usage_dead_letters_open ON usage_dead_letters (created_at) WHERE replayed_at IS NULL`);
    // A retried job dead-letters the same event again: one open row per event and reason.
    await queryRunner.query(
      `CREATE UNIQUE INDEX uq_usage_dead_letters_open_event ON usage_dead_letters (tenant_id, idempotency_key, reason) WHERE replayed_at IS NULL`,
    );

    await queryRunner.query(`
      CREATE TABLE usage_counter_holds (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL CONSTRAINT fk_usage_counter_holds_tenant REFERENCES tenants (id) ON DELETE CASCADE,
        agent varchar(16) NOT NULL,
        period_start timestamptz NOT NULL,
        counter_count bigint NOT NULL,
        event_count bigint NOT NULL,
        drift_ratio double precision NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        resolved_at timestamptz,
        resolution text
      )`);
    // At most one open hold per counter: reconciliation re-finding the drift changes nothing.
    await queryRunner.query(`CREATE UNIQUE INDEX uq_usage_counter_holds_open ON usage_counter_holds (tenant_id, agent, period_start) WHERE resolved_at IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE usage_counter_holds`);
    await queryRunner.query(`DROP TABLE usage_dead_letters`);
    await queryRunner.query(`DROP TABLE billing_period_terms`);
  }
}
