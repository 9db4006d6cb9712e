/**
 * Measures migration 1765200000000 (usage_events partitioned) on a filled table:
 * `npx tsx scripts/measure-partition-migration.ts [events]` (default 1,500,000). Creates its own
 * database at the schema before the migration, fills it set-based (3 months, 2,000 tenants), then
 * times `up` and `down` while a second connection probes reads and writes; prints time, disk and WAL.
 * The figures in docs/runbook.md come from it. The database is dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dropDatabase, ensureDatabase, resolveRuntimeServices, withDatabase } from '@metering/dev';
import { MIGRATIONS } from '@metering/migrations';
import { createDataSource } from '@metering/platform';

const events = Number(process.argv[2] ?? 1_500_000);
// The migrations up to the one measured: later ones are not applied (their own costs are in the runbook).
const MEASURED = MIGRATIONS.findIndex((migration) => migration.name === 'UsageEventsPartitioned1765200000000');
const MEASURED_MIGRATION = MIGRATIONS[MEASURED]!;

async function main(): Promise<void> {
  const services = await resolveRuntimeServices({ env: process.env, dataRoot: '.data', databaseName: 'unused' });
  const server = withDatabase(services.databaseUrl, 'postgres');
  const name = `usage_migration_cost_${randomBytes(3).toString('hex')}`;
  await ensureDatabase(server, name);
  const url = withDatabase(server, name);
  const before = createDataSource({ url, poolSize: 2, entities: [], migrations: MIGRATIONS.slice(0, MEASURED) });
  await before.initialize();
  const probe = new Client({ connectionString: url });
  try {
    await before.runMigrations({ transaction: 'each' });
    const [{ id: planId }] = await before.query(`INSERT INTO plans (code, name, limits, overage_unit_cents) VALUES ('m', 'M', '{}', '{}') RETURNING id`);
    await before.query(
      `WITH t AS (INSERT INTO tenants (name) SELECT 'tenant ' || g FROM generate_series(1, 2000) g RETURNING id)
       INSERT INTO subscriptions (tenant_id, plan_id, status, current_period_start, current_period_end, billing_anchor_day)
       SELECT id, $1, 'active', date_trunc('month', now()), date_trunc('month', now()) + interval '1 month', 1 FROM t`,
      [planId],
    );
    let started = Date.now();
    await before.query(
      `INSERT INTO usage_events (tenant_id, agent, action_type, resource_id, quantity, idempotency_key, occurred_at, period_start)
       SELECT t.id, 'inbox', 'email_processed', 'res-' || g, 1, 'evt-' || g, m + ((g::bigint * 7919) % 2419200) * interval '1 second', m
         FROM generate_series(0, $1::int - 1) g
         JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM tenants) t ON t.n = g % 2000
         CROSS JOIN LATERAL (SELECT date_trunc('month', now() - ((g % 3) * interval '1 month')) AS m) months`,
      [events],
    );
    await before.query('VACUUM ANALYZE usage_events');
    console.log(`filled ${events} events in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const size = async (): Promise<string> => (await before.query(`SELECT pg_size_pretty(pg_database_size(current_database())) AS s`))[0].s;
    const wal = async (): Promise<string> => (await before.query(`SELECT pg_current_wal_lsn()::text AS l`))[0].l;
    const walSince = async (lsn: string): Promise<string> =>
      (await before.query(`SELECT pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)) AS d`, [lsn]))[0].d;
    console.log(`database before: ${await size()}`);

    // A reader and a writer probe every 50 ms while the migration runs: the longest wait of each.
    await probe.connect();
    const [{ id: tenantId }] = (await probe.query(`SELECT id FROM tenants LIMIT 1`)).rows;
    let running = true;
    const longest = { read: 0, write: 0, peakDb: 0 };
    let n = 0;
    const probing = (async () => {
      while (running) {
        let t = Date.now();
        await probe.query(`SELECT count(*) FROM usage_events WHERE tenant_id = $1`, [tenantId]);
        longest.read = Math.max(longest.read, Date.now() - t);
        t = Date.now();
        await probe.query(
          `INSERT INTO usage_events (tenant_id, agent, action_type, resource_id, quantity, idempotency_key, occurred_at, period_start)
           SELECT $1, 'inbox', 'email_processed', 'probe', 1, 'probe-' || $2, now(), date_trunc('month', now())
            WHERE to_regclass('usage_event_keys') IS NULL`,
          [tenantId, n++],
        ).catch(() => undefined);
        longest.write = Math.max(longest.write, Date.now() - t);
        const [{ bytes }] = (await probe.query(`SELECT pg_database_size(current_database()) AS bytes`)).rows;
        longest.peakDb = Math.max(longest.peakDb, Number(bytes));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const migrating = new DataSource({ ...before.options, migrations: MIGRATIONS.slice(0, MEASURED + 1) } as ConstructorParameters<typeof DataSource>[0]);
    await migrating.initialize();
    let lsn = await wal();
    started = Date.now();
    await migrating.runMigrations({ transaction: 'each' });
    const upSeconds = (Date.now() - started) / 1000;
    running = false;
    await probing;
    console.log(`up (${MEASURED_MIGRATION.name}): ${upSeconds.toFixed(1)} s, WAL ${await walSince(lsn)}, database after ${await size()}, peak ${(longest.peakDb / 2 ** 20).toFixed(0)} MB`);
    console.log(`  longest probe read ${longest.read} ms, longest probe write ${longest.write} ms`);
    lsn = await wal();
    started = Date.now();
    await migrating.undoLastMigration({ transaction: 'each' });
    console.log(`down: ${((Date.now() - started) / 1000).toFixed(1)} s, WAL ${await walSince(lsn)}, database after ${await size()}`);
    await migrating.destroy();
  } finally {
    await probe.end().catch(() => undefined);
    await before.destroy();
    await dropDatabase(server, name);
    await services.stop();
  }
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
