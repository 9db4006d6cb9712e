import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every write an admin makes through Bull Board (retry, remove, promote, add, clean, pause ...):
 * who, what, on which queue and job, and how it ended. The row is written before the action
 * runs, so an action without its audit row cannot happen; `status` is filled in when it answered.
 */
export class OperatorAuditLog1764900000000 implements MigrationInterface {
  name = 'OperatorAuditLog1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE operator_audit_log (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        actor varchar(255) NOT NULL,
        actor_tenant_id uuid,
        action varchar(64) NOT NULL,
        queue varchar(255),
        job_id varchar(255),
        method varchar(8) NOT NULL,
        path text NOT NULL,
        request_id varchar(128),
        status integer,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX idx_operator_audit_log_created ON operator_audit_log (created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE operator_audit_log`);
  }
}
