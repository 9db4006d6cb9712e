import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `usage_rollups` keeps ONE index instead of two. The primary key was (tenant_id, agent,
 * period_start, bucket_start) for the commit statement's upsert, and idx_usage_rollups_tenant_bucket
 * (tenant_id, bucket_start) served the history's time range; together they were two thirds of the
 * table's bytes (measured in the scale scenario: 137 of 207 bytes per stored event). The key becomes
 * (tenant_id, bucket_start, agent, period_start): the same columns, so it is still the upsert's
 * ON CONFLICT target and the same uniqueness, and its leading (tenant_id, bucket_start) is the
 * history's range scan. The readers that asked for one period (forecast, corrections) now also bound
 * bucket_start from the period's first hour.
 *
 * Safe on a filled table: one transaction; the new unique index is built under a SHARE lock (reads
 * go on, the workers' commits wait and resume: nothing is lost), then the key is moved onto it
 * (dropping the old key's index) and idx_usage_rollups_tenant_bucket is dropped, which holds an
 * ACCESS EXCLUSIVE lock only from that point to the commit.
 * Cost measured in docs/runbook.md. Reversible: `down` builds the former two back the same way.
 */
export class UsageRollupsOneKey1765300000000 implements MigrationInterface {
  name = 'UsageRollupsOneKey1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE UNIQUE INDEX usage_rollups_key_by_bucket ON usage_rollups (tenant_id, bucket_start, agent, period_start)`);
    await queryRunner.query(
      `ALTER TABLE usage_rollups DROP CONSTRAINT pk_usage_rollups, ADD CONSTRAINT pk_usage_rollups PRIMARY KEY USING INDEX usage_rollups_key_by_bucket`,
    );
    await queryRunner.query(`DROP INDEX idx_usage_rollups_tenant_bucket`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE UNIQUE INDEX usage_rollups_key_by_period ON usage_rollups (tenant_id, agent, period_start, bucket_start)`);
    await queryRunner.query(`CREATE INDEX idx_usage_rollups_tenant_bucket ON usage_rollups (tenant_id, bucket_start)`);
    await queryRunner.query(
      `ALTER TABLE usage_rollups DROP CONSTRAINT pk_usage_rollups, ADD CONSTRAINT pk_usage_rollups PRIMARY KEY USING INDEX usage_rollups_key_by_period`,
    );
  }
}
