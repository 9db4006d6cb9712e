import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { dropDatabase, ensureDatabase, withDatabase } from '@metering/dev';
import { testServerUrl } from '@metering/testing';
import { MIGRATIONS } from '@metering/migrations';
import { createDataSource, runMigrationsWithLock } from '@metering/platform';

const ALL = MIGRATIONS.map((migration) => migration.name);

/** The migrations alone: this file tests them, not the entities (libs/billing/test/entities-match-migrations.test.ts does). */
function migrationsDataSource(url: string): DataSource {
  return createDataSource({ url, poolSize: 2, entities: [], migrations: MIGRATIONS });
}

const TABLES = [
  'billing_credits',
  'billing_period_terms',
  'operator_audit_log',
  'plans',
  'reconciliation_runs',
  'stripe_reconciliation_checks',
  'stripe_usage_reports',
  'stripe_webhook_events',
  'subscriptions',
  'tenants',
  'usage_alerts',
  'usage_corrections',
  'usage_counter_holds',
  'usage_counters',
  'usage_dead_letters',
  'usage_event_keys',
  'usage_events',
  'usage_rollups',
];

/** The tables of the migrations after BillingLifecycle: OperatorAuditLog, UsageRollupsAndLimitPolicies, UsageCorrectionsAndStripeProof, UsageEventsPartitioned. */
const LATER_TABLES = ['operator_audit_log', 'usage_rollups', 'usage_corrections', 'billing_credits', 'stripe_reconciliation_checks', 'usage_event_keys'];

/** The tables of UsageCorrectionsAndStripeProof1765100000000. */
const PROOF_TABLES = ['usage_corrections', 'billing_credits', 'stripe_reconciliation_checks'];

/** The tables of BillingLifecycle1764800000000. */
const LIFECYCLE_TABLES = ['billing_period_terms', 'usage_dead_letters', 'usage_counter_holds'];

// This file migrates a database of its own from empty: the shared template is already migrated.
const name = `usage_test_${process.env.TEST_RUN_ID}_mig${randomBytes(3).toString('hex')}`;
let dataSource: DataSource;

beforeAll(async () => {
  await ensureDatabase(testServerUrl(), name);
  dataSource = migrationsDataSource(withDatabase(testServerUrl(), name));
  await dataSource.initialize();
});

afterAll(async () => {
  await dataSource?.destroy();
  await dropDatabase(testServerUrl(), name);
});

/** Tables, not counting the partitions of usage_events (see `partitionsOfEvents`). */
async function tables(): Promise<string[]> {
  const rows: Array<{ table_name: string }> = await dataSource.query(
    `SELECT c.relname AS table_name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> 'typeorm_migrations' ORDER BY 1`,
  );
  return rows.map((r) => r.table_name);
}

async function partitionsOfEvents(): Promise<string[]> {
  const rows: Array<{ name: string; bound: string }> = await dataSource.query(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'usage_events'::regclass ORDER BY 1`,
  );
  return rows.map((r) => r.name);
}

async function indexes(table: string): Promise<Record<string, string>> {
  const rows: Array<{ indexname: string; indexdef: string }> = await dataSource.query(
    `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = $1`,
    [table],
  );
  return Object.fromEntries(rows.map((r) => [r.indexname, r.indexdef]));
}

async function constraints(table: string): Promise<Record<string, string>> {
  const rows: Array<{ conname: string; def: string }> = await dataSource.query(
    `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass`,
    [table],
  );
  return Object.fromEntries(rows.map((r) => [r.conname, r.def]));
}

async function columnNames(table: string): Promise<string[]> {
  const rows: Array<{ column_name: string }> = await dataSource.query(
    `SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return rows.map((row) => row.column_name);
}

describe('schema migration', () => {
  it('creates every table, key, check and index, reverts cleanly and applies again', async () => {
    expect(await runMigrationsWithLock(dataSource)).toEqual(ALL);
    expect(await tables()).toEqual(TABLES);

    const eventIndexes = await indexes('usage_events');
    // One index: the primary key, which carries the partition key and what the recounts read.
    expect(Object.keys(eventIndexes)).toEqual(['pk_usage_events']);
    expect((await dataSource.query(`SELECT relkind FROM pg_class WHERE relname = 'usage_events'`))[0].relkind).toBe('p');
    const months = await partitionsOfEvents();
    expect(months).toContain('usage_events_default');
    expect(months.filter((m) => /^usage_events_y\d{4}m\d{2}$/.test(m)).length).toBeGreaterThanOrEqual(3);
    // The exactly-once key, across partitions.
    expect((await constraints('usage_event_keys')).pk_usage_event_keys).toBe('PRIMARY KEY (tenant_id, idempotency_key)');
    expect((await constraints('usage_event_keys')).fk_usage_event_keys_tenant).toMatch(/FOREIGN KEY \(tenant_id\) REFERENCES tenants\(id\) ON DELETE CASCADE/);
    // One index: the key leads with the history's (tenant_id, bucket_start).
    expect((await constraints('usage_rollups')).pk_usage_rollups).toBe('PRIMARY KEY (tenant_id, bucket_start, agent, period_start)');
    expect(Object.keys(await indexes('usage_rollups'))).toEqual(['pk_usage_rollups']);
    expect((await constraints('usage_alerts')).chk_usage_alerts_level).toContain("'forecast'");
    expect((await constraints('plans')).chk_plans_limit_policies_object).toBe("CHECK ((jsonb_typeof(limit_policies) = 'object'::text))");
    expect(await columnNames('usage_events')).not.toContain('id');
    expect((await indexes('usage_counters')).idx_usage_counters_tenant_period).toMatch(/\(tenant_id, period_start\)/);

    const eventChecks = await constraints('usage_events');
    expect(eventChecks.chk_usage_events_quantity).toBe('CHECK ((quantity > 0))');
    expect(eventChecks.pk_usage_events).toBe('PRIMARY KEY (tenant_id, occurred_at, idempotency_key) INCLUDE (agent, period_start, quantity)');
    expect(eventChecks.fk_usage_events_tenant).toMatch(/FOREIGN KEY \(tenant_id\) REFERENCES tenants\(id\)/);
    const counterChecks = await constraints('usage_counters');
    expect(counterChecks.chk_usage_counters_count).toBe('CHECK ((count >= 0))');
    expect(counterChecks.uq_usage_counters_tenant_agent_period).toBe('UNIQUE (tenant_id, agent, period_start)');
    expect((await constraints('plans')).uq_plans_code).toBe('UNIQUE (code)');
    expect((await constraints('usage_alerts')).uq_usage_alerts_tenant_agent_period_level).toBe(
      'UNIQUE (tenant_id, agent, period_start, level)',
    );
    expect((await constraints('stripe_usage_reports')).uq_stripe_usage_reports_identifier).toBe('UNIQUE (identifier)');

    const columns: Array<{ column_name: string; data_type: string }> = await dataSource.query(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'usage_counters' ORDER BY ordinal_position`,
    );
    expect(columns.map((c) => `${c.column_name}:${c.data_type}`)).toEqual([
      'id:uuid',
      'tenant_id:uuid',
      'agent:character varying',
      'period_start:timestamp with time zone',
      'period_end:timestamp with time zone',
      'count:bigint',
      'last_event_at:timestamp with time zone',
      'created_at:timestamp with time zone',
      'updated_at:timestamp with time zone',
    ]);

    for (let i = 0; i < ALL.length; i++) await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await tables()).toEqual([]);

    expect(await runMigrationsWithLock(dataSource)).toEqual(ALL);
    expect(await tables()).toEqual(TABLES);
  });

  it('reverts the latest migrations one at a time, leaving the earlier schema intact', async () => {
    const stripeEventColumn = async (): Promise<boolean> => (await columnNames('subscriptions')).includes('stripe_event_created_at');
    expect(await columnNames('usage_events')).not.toContain('id');
    // Stored events survive both directions.
    const [{ id: tenantId }] = await dataSource.query(`INSERT INTO tenants (name) VALUES ('migrating') RETURNING id`);
    // One event in a monthly partition, one in the default partition (a month never created).
    await dataSource.query(
      `WITH keyed AS (INSERT INTO usage_event_keys (tenant_id, idempotency_key, occurred_at) VALUES ($1, 'k-1', now()), ($1, 'k-0', '2001-01-01Z'))
       INSERT INTO usage_events (tenant_id, agent, action_type, resource_id, quantity, idempotency_key, occurred_at, period_start)
       VALUES ($1, 'inbox', 'email_processed', 'r-1', 2, 'k-1', now(), date_trunc('month', now())),
              ($1, 'inbox', 'email_processed', 'r-0', 1, 'k-0', '2001-01-01Z', '2001-01-01Z')`,
      [tenantId],
    );
    const storedKeys = async (): Promise<string[]> =>
      (await dataSource.query(`SELECT idempotency_key FROM usage_events WHERE tenant_id = $1 ORDER BY 1`, [tenantId])).map((r: { idempotency_key: string }) => r.idempotency_key);

    // UsageRollupsOneKey down, then up: the rollups' rows stay; two indexes, then one again. It
    // stays down below, and comes back with every migration the test applies again.
    await dataSource.query(
      `INSERT INTO usage_rollups (tenant_id, agent, period_start, bucket_start, count) VALUES ($1, 'inbox', date_trunc('month', now()), date_trunc('hour', now()), 2)`,
      [tenantId],
    );
    const rollupCounts = async (): Promise<string[]> =>
      (await dataSource.query(`SELECT count FROM usage_rollups WHERE tenant_id = $1`, [tenantId])).map((r: { count: string }) => r.count);
    await dataSource.undoLastMigration({ transaction: 'each' });
    expect((await constraints('usage_rollups')).pk_usage_rollups).toBe('PRIMARY KEY (tenant_id, agent, period_start, bucket_start)');
    expect(Object.keys(await indexes('usage_rollups')).sort()).toEqual(['idx_usage_rollups_tenant_bucket', 'pk_usage_rollups']);
    expect(await rollupCounts()).toEqual(['2']);
    expect(await runMigrationsWithLock(dataSource)).toEqual(ALL.slice(-1));
    expect((await constraints('usage_rollups')).pk_usage_rollups).toBe('PRIMARY KEY (tenant_id, bucket_start, agent, period_start)');
    expect(await rollupCounts()).toEqual(['2']);
    await dataSource.undoLastMigration({ transaction: 'each' });
    await dataSource.query(`DELETE FROM usage_rollups WHERE tenant_id = $1`, [tenantId]);

    // UsageEventsPartitioned down, then up: one plain table keyed by (tenant_id, idempotency_key)
    // with the rows kept, then partitioned again with every key restored and the old month created.
    await dataSource.undoLastMigration({ transaction: 'each' });
    expect((await dataSource.query(`SELECT relkind FROM pg_class WHERE relname = 'usage_events'`))[0].relkind).toBe('r');
    expect(await tables()).not.toContain('usage_event_keys');
    expect((await constraints('usage_events')).idx_usage_events_idempotency).toBe('PRIMARY KEY (tenant_id, idempotency_key)');
    expect(Object.keys(await indexes('usage_events')).sort()).toEqual(['idx_usage_events_idempotency', 'idx_usage_events_tenant_agent', 'idx_usage_events_tenant_occurred']);
    expect(await storedKeys()).toEqual(['k-0', 'k-1']);
    expect(await runMigrationsWithLock(dataSource)).toEqual(ALL.slice(-2));
    expect(await storedKeys()).toEqual(['k-0', 'k-1']);
    expect((await dataSource.query(`SELECT idempotency_key FROM usage_event_keys WHERE tenant_id = $1 ORDER BY 1`, [tenantId])).map((r: { idempotency_key: string }) => r.idempotency_key)).toEqual(['k-0', 'k-1']);
    expect(await partitionsOfEvents()).toContain('usage_events_y2001m01');
    for (let i = 0; i < 2; i++) await dataSource.undoLastMigration({ transaction: 'each' });

    // An alert written before the outbox column existed counts as handed over when written.
    await dataSource.query(
      `INSERT INTO usage_alerts (tenant_id, agent, period_start, level, threshold_percent, count_at_alert, limit_at_alert)
       VALUES ($1, 'inbox', date_trunc('month', now()), 'warning', 80, 80, 100)`,
      [tenantId],
    );

    // UsageCorrectionsAndStripeProof down (UsageEventsPartitioned is down already), then both up:
    // its tables and the ledger's new columns go and come back.
    await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await tables()).toEqual(TABLES.filter((t) => !PROOF_TABLES.includes(t) && t !== 'usage_event_keys'));
    expect(await columnNames('stripe_usage_reports')).not.toContain('purpose');
    expect((await constraints('stripe_usage_reports')).chk_stripe_usage_reports_delta).toBe('CHECK ((delta > 0))');
    expect(await runMigrationsWithLock(dataSource)).toEqual(ALL.slice(-3));
    expect(await tables()).toEqual(TABLES);
    expect((await constraints('stripe_usage_reports')).chk_stripe_usage_reports_delta).toBe('CHECK ((delta <> 0))');
    expect((await indexes('usage_corrections')).uq_usage_corrections_voided).toMatch(/UNIQUE INDEX .* WHERE \(voided_idempotency_key IS NOT NULL\)/);
    // A ledger holding a negative delta is not reverted: dropping it would make Stripe bill it again.
    await dataSource.query(
      `INSERT INTO stripe_usage_reports (tenant_id, agent, period_start, period_end, cumulative_quantity, delta, identifier, event_timestamp, status)
       VALUES ($1, 'inbox', '2026-11-01Z', '2026-12-01Z', 1, -1, 'mig-negative', now(), 'sent')`,
      [tenantId],
    );
    await dataSource.undoLastMigration({ transaction: 'each' }); // UsageRollupsOneKey
    await dataSource.undoLastMigration({ transaction: 'each' }); // UsageEventsPartitioned
    await expect(dataSource.undoLastMigration({ transaction: 'each' })).rejects.toThrow(/reverting would make Stripe bill them again/);
    await dataSource.query(`DELETE FROM stripe_usage_reports WHERE identifier = 'mig-negative'`);
    await dataSource.undoLastMigration({ transaction: 'each' });

    // UsageRollupsAndLimitPolicies down, then up: the rollups come back backfilled from the stored events.
    await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await tables()).not.toContain('usage_rollups');
    expect(await columnNames('plans')).not.toContain('limit_policies');
    expect((await constraints('usage_alerts')).chk_usage_alerts_level).not.toContain('forecast');
    expect(Object.keys(await indexes('usage_events'))).not.toContain('idx_usage_events_tenant_occurred');
    expect(await runMigrationsWithLock(dataSource)).toEqual(ALL.slice(-4));
    const rollups: Array<{ agent: string; count: string; on_hour: boolean }> = await dataSource.query(
      `SELECT agent, count, bucket_start = date_trunc('hour', bucket_start, 'UTC') AS on_hour FROM usage_rollups WHERE tenant_id = $1 ORDER BY bucket_start`,
      [tenantId],
    );
    expect(rollups).toEqual([{ agent: 'inbox', count: '1', on_hour: true }, { agent: 'inbox', count: '2', on_hour: true }]);
    expect(await columnNames('plans')).toContain('limit_policies');
    for (let i = 0; i < 4; i++) await dataSource.undoLastMigration({ transaction: 'each' });

    // OperatorAuditLog down, then up: the table goes and comes back (then stays down below).
    await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await tables()).not.toContain('operator_audit_log');
    expect(await runMigrationsWithLock(dataSource)).toEqual(ALL.slice(-5));
    expect((await indexes('operator_audit_log')).idx_operator_audit_log_created).toMatch(/\(created_at\)/);
    expect(await columnNames('operator_audit_log')).toEqual([
      'id', 'actor', 'actor_tenant_id', 'action', 'queue', 'job_id', 'method', 'path', 'request_id', 'status', 'created_at', 'completed_at',
    ]);
    for (let i = 0; i < 5; i++) await dataSource.undoLastMigration({ transaction: 'each' });

    // BillingLifecycle down, then up: its three tables go and come back, and a subscription's
    // current period gets its plan's terms as they stand.
    const [{ id: planId }] = await dataSource.query(
      `INSERT INTO plans (code, name, limits, overage_unit_cents) VALUES ('mig', 'Mig', '{"emails_per_month":7}', '{"inbox":3}') RETURNING id`,
    );
    await dataSource.query(
      `INSERT INTO subscriptions (tenant_id, plan_id, status, current_period_start, current_period_end, billing_anchor_day)
       VALUES ($1, $2, 'active', '2026-11-01Z', '2026-12-01Z', 1)`,
      [tenantId, planId],
    );
    await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await tables()).toEqual(TABLES.filter((t) => !LIFECYCLE_TABLES.includes(t) && !LATER_TABLES.includes(t)));
    expect(await runMigrationsWithLock(dataSource)).toEqual(ALL.slice(-6));
    const terms = await dataSource.query(`SELECT period_start, limits, overage_unit_cents FROM billing_period_terms WHERE tenant_id = $1`, [tenantId]);
    expect(terms).toEqual([{ period_start: new Date('2026-11-01Z'), limits: { emails_per_month: 7 }, overage_unit_cents: { inbox: 3 } }]);
    expect((await indexes('usage_counter_holds')).uq_usage_counter_holds_open).toMatch(/UNIQUE INDEX .* WHERE \(resolved_at IS NULL\)/);
    for (let i = 0; i < 6; i++) await dataSource.undoLastMigration({ transaction: 'each' });

    // UsageAlertsPublishedAt down, then up: the column and its partial index go and come back.
    await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await columnNames('usage_alerts')).not.toContain('published_at');
    expect(Object.keys(await indexes('usage_alerts'))).not.toContain('idx_usage_alerts_unpublished');
    expect(await runMigrationsWithLock(dataSource)).toEqual(ALL.slice(-7));
    expect((await indexes('usage_alerts')).idx_usage_alerts_unpublished).toMatch(/\(created_at\) WHERE \(published_at IS NULL\)/);
    const [{ waiting }] = await dataSource.query(`SELECT count(*)::int AS waiting FROM usage_alerts WHERE published_at IS NULL`);
    expect(waiting).toBe(0);
    for (let i = 0; i < 7; i++) await dataSource.undoLastMigration({ transaction: 'each' });

    // UsageEventsNaturalKey down: the uuid id is the primary key again, the key a unique index.
    await dataSource.undoLastMigration({ transaction: 'each' });
    expect((await constraints('usage_events')).usage_events_pkey).toBe('PRIMARY KEY (id)');
    expect((await indexes('usage_events')).idx_usage_events_idempotency).toMatch(/UNIQUE INDEX .* \(tenant_id, idempotency_key\)/);
    expect(await storedKeys()).toEqual(['k-0', 'k-1']);
    expect((await dataSource.query(`SELECT count(*)::int AS n FROM usage_events WHERE id IS NULL`))[0].n).toBe(0);
    expect(await stripeEventColumn()).toBe(true);

    await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await stripeEventColumn()).toBe(false);
    expect(await tables()).toEqual(TABLES.filter((t) => !LIFECYCLE_TABLES.includes(t) && !LATER_TABLES.includes(t)));

    expect(await runMigrationsWithLock(dataSource)).toEqual(ALL.slice(-9));
    expect(await stripeEventColumn()).toBe(true);
    expect((await constraints('usage_events')).pk_usage_events).toBe('PRIMARY KEY (tenant_id, occurred_at, idempotency_key) INCLUDE (agent, period_start, quantity)');
    expect(await storedKeys()).toEqual(['k-0', 'k-1']);
  });

  it('lets several processes migrate at once: one applies, the others find nothing to do', async () => {
    const others = [migrationsDataSource(withDatabase(testServerUrl(), name)), migrationsDataSource(withDatabase(testServerUrl(), name))];
    await Promise.all(others.map((ds) => ds.initialize()));
    try {
      await dataSource.undoLastMigration({ transaction: 'each' });
      const applied = await Promise.all([dataSource, ...others].map((ds) => runMigrationsWithLock(ds)));
      expect(applied.flat()).toEqual([ALL[ALL.length - 1]]);
      expect(await tables()).toEqual(TABLES);
    } finally {
      await Promise.all(others.map((ds) => ds.destroy()));
    }
  });
});
