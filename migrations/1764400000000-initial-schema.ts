import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The whole schema of DESIGN.md: tenants, plans, subscriptions, events, counters and the ledgers. */
export class InitialSchema1764400000000 implements MigrationInterface {
  name = 'InitialSchema1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(200) NOT NULL,
        stripe_customer_id varchar(255),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX uq_tenants_stripe_customer ON tenants (stripe_customer_id) WHERE stripe_customer_id IS NOT NULL`);

    await queryRunner.query(`
      CREATE TABLE plans (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code varchar(64) NOT NULL CONSTRAINT uq_plans_code UNIQUE,
        name varchar(200) NOT NULL,
        limits jsonb NOT NULL DEFAULT '{}'::jsonb,
        overage_unit_cents jsonb NOT NULL DEFAULT '{}'::jsonb,
        meter_event_names jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT chk_plans_limits_object CHECK (jsonb_typeof(limits) = 'object'),
        CONSTRAINT chk_plans_overage_object CHECK (jsonb_typeof(overage_unit_cents) = 'object')
      )`);

    await queryRunner.query(`
      CREATE TABLE subscriptions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL CONSTRAINT uq_subscriptions_tenant UNIQUE
          CONSTRAINT fk_subscriptions_tenant REFERENCES tenants (id) ON DELETE CASCADE,
        plan_id uuid CONSTRAINT fk_subscriptions_plan REFERENCES plans (id),
        status varchar(16) NOT NULL
          CONSTRAINT chk_subscriptions_status CHECK (status IN ('trialing', 'active', 'past_due', 'canceled')),
        current_period_start timestamptz NOT NULL,
        current_period_end timestamptz NOT NULL,
        billing_anchor_day smallint NOT NULL CONSTRAINT chk_subscriptions_anchor CHECK (billing_anchor_day BETWEEN 1 AND 31),
        stripe_subscription_id varchar(255),
        stripe_subscription_item_ids jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT chk_subscriptions_period CHECK (current_period_end > current_period_start),
        CONSTRAINT chk_subscriptions_plan_or_trial CHECK (plan_id IS NOT NULL OR status = 'trialing' OR status = 'canceled')
      )`);
    await queryRunner.query(`CREATE INDEX idx_subscriptions_period_end ON subscriptions (current_period_end) WHERE status <> 'canceled'`);
    await queryRunner.query(`CREATE UNIQUE INDEX uq_subscriptions_stripe ON subscriptions (stripe_subscription_id) WHERE stripe_subscription_id IS NOT NULL`);

    await queryRunner.query(`
      CREATE TABLE usage_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL CONSTRAINT fk_usage_events_tenant REFERENCES tenants (id) ON DELETE CASCADE,
        agent varchar(16) NOT NULL CONSTRAINT chk_usage_events_agent CHECK (agent IN ('inbox', 'invoice', 'meeting')),
        action_type varchar(32) NOT NULL,
        resource_id varchar(255) NOT NULL,
        quantity integer NOT NULL CONSTRAINT chk_usage_events_quantity CHECK (quantity > 0),
        idempotency_key varchar(255) NOT NULL,
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        occurred_at timestamptz NOT NULL,
        period_start timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // The unique index is the exactly-once guarantee: keys are scoped to a tenant.
    await queryRunner.query(`CREATE UNIQUE INDEX idx_usage_events_idempotency ON usage_events (tenant_id, idempotency_key)`);
    // Covers reconciliation's recount (GROUP BY tenant, agent, period) without touching the heap.
    await queryRunner.query(`CREATE INDEX idx_usage_events_tenant_agent ON usage_events (tenant_id, agent, period_start) INCLUDE (quantity)`);

    await queryRunner.query(`
      CREATE TABLE usage_counters (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL CONSTRAINT fk_usage_counters_tenant REFERENCES tenants (id) ON DELETE CASCADE,
        agent varchar(16) NOT NULL CONSTRAINT chk_usage_counters_agent CHECK (agent IN ('inbox', 'invoice', 'meeting')),
        period_start timestamptz NOT NULL,
        period_end timestamptz NOT NULL,
        count bigint NOT NULL DEFAULT 0 CONSTRAINT chk_usage_counters_count CHECK (count >= 0),
        last_event_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_usage_counters_tenant_agent_period UNIQUE (tenant_id, agent, period_start),
        CONSTRAINT chk_usage_counters_period CHECK (period_end > period_start)
      )`);
    await queryRunner.query(`CREATE INDEX idx_usage_counters_tenant_period ON usage_counters (tenant_id, period_start)`);

    await queryRunner.query(`
      CREATE TABLE stripe_usage_reports (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL CONSTRAINT fk_stripe_usage_reports_tenant REFERENCES tenants (id) ON DELETE CASCADE,
        agent varchar(16) NOT NULL,
        period_start timestamptz NOT NULL,
        period_end timestamptz NOT NULL,
        cumulative_quantity bigint NOT NULL CONSTRAINT chk_stripe_usage_reports_cumulative CHECK (cumulative_quantity >= 0),
        delta bigint NOT NULL CONSTRAINT chk_stripe_usage_reports_delta CHECK (delta > 0),
        identifier varchar(100) NOT NULL CONSTRAINT uq_stripe_usage_reports_identifier UNIQUE,
        meter_event_name varchar(100),
        stripe_customer_id varchar(255),
        event_timestamp timestamptz NOT NULL,
        status varchar(16) NOT NULL CONSTRAINT chk_stripe_usage_reports_status CHECK (status IN ('pending', 'sent', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        sent_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX idx_stripe_usage_reports_tenant_period ON stripe_usage_reports (tenant_id, agent, period_start)`);
    await queryRunner.query(`CREATE INDEX idx_stripe_usage_reports_pending ON stripe_usage_reports (status) WHERE status = 'pending'`);

    await queryRunner.query(`
      CREATE TABLE usage_alerts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL CONSTRAINT fk_usage_alerts_tenant REFERENCES tenants (id) ON DELETE CASCADE,
        agent varchar(16) NOT NULL,
        period_start timestamptz NOT NULL,
        level varchar(16) NOT NULL CONSTRAINT chk_usage_alerts_level CHECK (level IN ('warning', 'error')),
        threshold_percent smallint NOT NULL,
        count_at_alert bigint NOT NULL,
        limit_at_alert bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_usage_alerts_tenant_agent_period_level UNIQUE (tenant_id, agent, period_start, level)
      )`);

    await queryRunner.query(`
      CREATE TABLE reconciliation_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        started_at timestamptz NOT NULL,
        finished_at timestamptz,
        status varchar(16) NOT NULL CONSTRAINT chk_reconciliation_runs_status CHECK (status IN ('running', 'succeeded', 'failed')),
        dry_run boolean NOT NULL DEFAULT false,
        tenant_id uuid,
        counters_checked integer NOT NULL DEFAULT 0,
        counters_corrected integer NOT NULL DEFAULT 0,
        counters_alerted integer NOT NULL DEFAULT 0,
        max_drift_ratio double precision NOT NULL DEFAULT 0,
        details jsonb NOT NULL DEFAULT '[]'::jsonb,
        error text
      )`);
    await queryRunner.query(`CREATE INDEX idx_reconciliation_runs_started ON reconciliation_runs (started_at DESC)`);

    await queryRunner.query(`
      CREATE TABLE stripe_webhook_events (
        id varchar(255) PRIMARY KEY,
        type varchar(100) NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'stripe_webhook_events',
      'reconciliation_runs',
      'usage_alerts',
      'stripe_usage_reports',
      'usage_counters',
      'usage_events',
      'subscriptions',
      'plans',
      'tenants',
    ]) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
