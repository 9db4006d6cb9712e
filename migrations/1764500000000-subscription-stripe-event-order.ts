import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stripe does not deliver webhooks in order. Remembering the creation time of the event a
 * subscription row was last synced from lets an older delivery be recognised and left unapplied.
 */
export class SubscriptionStripeEventOrder1764500000000 implements MigrationInterface {
  name = 'SubscriptionStripeEventOrder1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE subscriptions ADD COLUMN stripe_event_created_at timestamptz`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE subscriptions DROP COLUMN stripe_event_created_at`);
  }
}
