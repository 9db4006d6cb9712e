import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A threshold alert is written in Postgres, then handed to the `usage-alerts` queue. The enqueue
 * can fail, or the worker stop, between the two, so the row now records when it was handed over
 * (`published_at`): a scheduled job hands over the rows that were not, which makes the row an
 * outbox and the notification at-least-once. Rows written before this migration were handed over when written.
 */
export class UsageAlertsPublishedAt1764700000000 implements MigrationInterface {
  name = 'UsageAlertsPublishedAt1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE usage_alerts ADD COLUMN published_at timestamptz`);
    await queryRunner.query(`UPDATE usage_alerts SET published_at = created_at`);
    // Only the few rows still waiting are in it, so the every-minute scan stays an index probe.
    await queryRunner.query(`CREATE INDEX idx_usage_alerts_unpublished ON usage_alerts (created_at) WHERE published_at IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX idx_usage_alerts_unpublished`);
    await queryRunner.query(`ALTER TABLE usage_alerts DROP COLUMN published_at`);
  }
}
