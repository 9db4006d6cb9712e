import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 17: usage history, drill-down and the `block` policy.
 * - `usage_rollups`: per (tenant, agent, period, UTC hour) the quantity committed, written by the
 *   tracker's commit statement in the same statement as the counters, so a period's rollups sum to
 *   its counter. The history endpoint reads at most 24 x 31 rows per agent for a month, never the
 *   raw events. Backfilled here from the events already stored.
 * - `idx_usage_events_tenant_occurred`: the drill-down's keyset order (newest first).
 * - `plans.limit_policies`: per agent what happens at 100% (`overage`, the default, or `block`).
 * - `usage_alerts.level` may be `forecast`: written once per period when the forecast reaches 100%.
 */
export class UsageRollupsAndLimitPolicies1765000000000 implements MigrationInterface {
  name = 'UsageRollupsAndLimitPolicies1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE usage_rollups (
        tenant_id uuid NOT NULL CONSTRAINT fk_usage_rollups_tenant REFERENCES tenants (id) ON DELETE CASCADE,
        agent varchar(16) NOT NULL CONSTRAINT chk_usage_rollups_agent CHECK (agent IN ('inbox', 'invoice', 'meeting')),
        period_start timestamptz NOT NULL,
        bucket_start timestamptz NOT NULL,
        count bigint NOT NULL CONSTRAINT chk_usage_rollups_count CHECK (count >= 0),
        CONSTRAINT pk_usage_rollups PRIMARY KEY (tenant_id, agent, period_start, bucket_start)
      )`);
    // The history query filters by tenant and time, across agents and periods.
    await queryRunner.query(`CREATE INDEX idx_usage_rollups_tenant_bucket ON usage_rollups (tenant_id, bucket_start)`);
    await queryRunner.query(`
      INSERT INTO usage_rollups (tenant_id, agent, period_start, bucket_start, count)
      SELECT tenant_id, agent, period_start, date_trunc('hour', occurred_at, 'UTC'), sum(quantity)
        FROM usage_events
       GROUP BY 1, 2, 3, 4`);
    await queryRunner.query(`CREATE INDEX idx_usage_events_tenant_occurred ON usage_events (tenant_id, occurred_at, idempotency_key)`);
    await queryRunner.query(`ALTER TABLE plans ADD COLUMN limit_policies jsonb NOT NULL DEFAULT '{}'::jsonb`);
    await queryRunner.query(`ALTER TABLE plans ADD CONSTRAINT chk_plans_limit_policies_object CHECK (jsonb_typeof(limit_policies) = 'object')`);
    await queryRunner.query(`ALTER TABLE usage_alerts DROP CONSTRAINT chk_usage_alerts_level`);
    await queryRunner.query(`ALTER TABLE usage_alerts ADD CONSTRAINT chk_usage_alerts_level CHECK (level IN ('warning', 'error', 'forecast'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Forecast alerts cannot exist under the old check; they are advisory and go with it.
    await queryRunner.query(`DELETE FROM usage_alerts WHERE level = 'forecast'`);
    await queryRunner.query(`ALTER TABLE usage_alerts DROP CONSTRAINT chk_usage_alerts_level`);
    await queryRunner.query(`ALTER TABLE usage_alerts ADD CONSTRAINT chk_usage_alerts_level CHECK (level IN ('warning', 'error'))`);
    await queryRunner.query(`ALTER TABLE plans DROP CONSTRAINT chk_plans_limit_policies_object`);
    await queryRunner.query(`ALTER TABLE plans DROP COLUMN limit_policies`);
    await queryRunner.query(`DROP INDEX idx_usage_events_tenant_occurred`);
    await queryRunner.query(`DROP TABLE usage_rollups`);
  }
}
