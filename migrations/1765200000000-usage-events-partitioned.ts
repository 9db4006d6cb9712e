import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `usage_events` becomes a table partitioned by RANGE (occurred_at), one partition per UTC month
 * (`usage_events_y2026m12`) plus `usage_events_default` for any event outside the created months,
 * so an event is never refused for want of a partition. The worker's
 * `maintain-usage-event-partitions` job creates months ahead, moves rows out of the default
 * partition and drops months past the retention (libs/usage/src/maintenance/usage-event-partitions.ts).
 *
 * A unique key on a partitioned table must contain the partition key, so (tenant_id,
 * idempotency_key) can no longer be the events' own key. It moves to `usage_event_keys`, a plain
 * table written in the same statement as the event: the key is inserted first (`ON CONFLICT DO
 * NOTHING`), and only events whose key was inserted are stored. The key row keeps the event's
 * occurred_at, so the stored event of a key is found by ONE probe of the events' primary key
 * (tenant_id, occurred_at, idempotency_key) in ONE partition. That primary key is also the
 * drill-down's keyset order (the former idx_usage_events_tenant_occurred, now the key itself) and,
 * with INCLUDE (agent, period_start, quantity), every recount's index-only source.
 *
 * Safe on a filled table: one transaction, the old table locked in SHARE mode (reads go on, writes
 * wait: the workers' commits queue up and resume; no accepted event is lost), every row copied
 * once, indexes built after the copy. Cost measured in docs/runbook.md. Reversible: `down` copies
 * the rows back into one table with the (tenant_id, idempotency_key) primary key.
 */
/** The events' columns and checks, the same in both layouts (this migration's own copy: frozen). */
const EVENT_COLUMNS = `
        tenant_id uuid NOT NULL,
        agent varchar(16) NOT NULL,
        action_type varchar(32) NOT NULL,
        resource_id varchar(255) NOT NULL,
        quantity integer NOT NULL,
        idempotency_key varchar(255) NOT NULL,
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        occurred_at timestamptz NOT NULL,
        period_start timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT chk_usage_events_agent CHECK (agent IN ('inbox', 'invoice', 'meeting')),
        CONSTRAINT chk_usage_events_quantity CHECK (quantity > 0)`;

export class UsageEventsPartitioned1765200000000 implements MigrationInterface {
  name = 'UsageEventsPartitioned1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`LOCK TABLE usage_events IN SHARE MODE`);
    await queryRunner.query(`
      CREATE TABLE usage_events_partitioned (
${EVENT_COLUMNS}
      ) PARTITION BY RANGE (occurred_at)`);
    // Every month that holds events, and the current month and the next two (the job keeps that
    // horizon); the default partition takes anything else.
    const months: Array<{ name: string; start_at: string; end_at: string }> = await queryRunner.query(`
      SELECT 'usage_events_y' || to_char(m, 'YYYY"m"MM') AS name,
             to_char(m, 'YYYY-MM-DD"T00:00:00Z"') AS start_at, to_char(m + interval '1 month', 'YYYY-MM-DD"T00:00:00Z"') AS end_at
        FROM (SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC') AS m FROM usage_events
              UNION
              SELECT generate_series(date_trunc('month', now() AT TIME ZONE 'UTC'), date_trunc('month', now() AT TIME ZONE 'UTC') + interval '2 months', interval '1 month')) months
       ORDER BY m`);
    for (const month of months) {
      await queryRunner.query(`CREATE TABLE ${month.name} PARTITION OF usage_events_partitioned FOR VALUES FROM ('${month.start_at}') TO ('${month.end_at}')`);
    }
    await queryRunner.query(`CREATE TABLE usage_events_default PARTITION OF usage_events_partitioned DEFAULT`);
    await queryRunner.query(`
      INSERT INTO usage_events_partitioned
             (tenant_id, agent, action_type, resource_id, quantity, idempotency_key, metadata, occurred_at, period_start, created_at)
      SELECT tenant_id, agent, action_type, resource_id, quantity, idempotency_key, metadata, occurred_at, period_start, created_at
        FROM usage_events`);
    await queryRunner.query(`
      CREATE TABLE usage_event_keys (
        tenant_id uuid NOT NULL,
        idempotency_key varchar(255) NOT NULL,
        occurred_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`INSERT INTO usage_event_keys (tenant_id, idempotency_key, occurred_at) SELECT tenant_id, idempotency_key, occurred_at FROM usage_events`);
    await queryRunner.query(`DROP TABLE usage_events`);
    await queryRunner.query(`ALTER TABLE usage_events_partitioned RENAME TO usage_events`);
    // Built after the copy: one sort per index instead of a B-tree insert per row.
    await queryRunner.query(`ALTER TABLE usage_event_keys ADD CONSTRAINT pk_usage_event_keys PRIMARY KEY (tenant_id, idempotency_key)`);
    await queryRunner.query(
      `ALTER TABLE usage_event_keys ADD CONSTRAINT fk_usage_event_keys_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE`,
    );
    // The only index of the events: the recounts (reconciliation, a closed period's final count,
    // resolving a hold) read a tenant's months index-only from its INCLUDE columns, so the former
    // idx_usage_events_tenant_agent (another ~50 bytes and one more B-tree insert per event) goes.
    await queryRunner.query(
      `ALTER TABLE usage_events ADD CONSTRAINT pk_usage_events PRIMARY KEY (tenant_id, occurred_at, idempotency_key) INCLUDE (agent, period_start, quantity)`,
    );
    await queryRunner.query(
      `ALTER TABLE usage_events ADD CONSTRAINT fk_usage_events_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`LOCK TABLE usage_events IN SHARE MODE`);
    await queryRunner.query(`
      CREATE TABLE usage_events_unpartitioned (
${EVENT_COLUMNS}
      )`);
    await queryRunner.query(`
      INSERT INTO usage_events_unpartitioned
             (tenant_id, agent, action_type, resource_id, quantity, idempotency_key, metadata, occurred_at, period_start, created_at)
      SELECT tenant_id, agent, action_type, resource_id, quantity, idempotency_key, metadata, occurred_at, period_start, created_at
        FROM usage_events`);
    await queryRunner.query(`DROP TABLE usage_events`);
    await queryRunner.query(`DROP TABLE usage_event_keys`);
    await queryRunner.query(`ALTER TABLE usage_events_unpartitioned RENAME TO usage_events`);
    await queryRunner.query(`ALTER TABLE usage_events ADD CONSTRAINT idx_usage_events_idempotency PRIMARY KEY (tenant_id, idempotency_key)`);
    await queryRunner.query(`CREATE INDEX idx_usage_events_tenant_agent ON usage_events (tenant_id, agent, period_start) INCLUDE (quantity)`);
    await queryRunner.query(`CREATE INDEX idx_usage_events_tenant_occurred ON usage_events (tenant_id, occurred_at, idempotency_key)`);
    await queryRunner.query(
      `ALTER TABLE usage_events ADD CONSTRAINT fk_usage_events_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE`,
    );
  }
}
