import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import type { DataSource, QueryRunner } from 'typeorm';
import { createMeteringDataSource } from '@metering/billing';
import { dropDatabase, ensureDatabase, withDatabase } from '@metering/dev';
import { MIGRATIONS } from '@metering/migrations';
import { createLogger, runMigrationsWithLock } from '@metering/platform';
import { UsageEventPartitions, calendarMonthOf } from '@metering/usage';
import { seedTenants } from './bench-data';

/** Bumped whenever what `generateStoredEvents` writes changes: a stored database of another version is regenerated. */
const GENERATOR_VERSION = 3;
const STORED_PREFIX = 'usage_bench_scale_';
const COMPLETE = 'complete';

export interface StoredShape {
  events: number;
  tenants: number;
  months: number;
}

/** Months [oldest .. current] of a shape ending in the month of `now`, as UTC month starts. */
export function monthsBack(now: Date, months: number): Date[] {
  const current = calendarMonthOf(now).start;
  return Array.from({ length: months }, (_, i) => new Date(Date.UTC(current.getUTCFullYear(), current.getUTCMonth() - (months - 1 - i), 1)));
}

/**
 * Writes `perMonth` events into each month of `months` for `tenantIds` (agents in rotation, one
 * unit each, occurred_at spread over the month -- up to a minute before now in the current one),
 * with their keys, and adds them to the counters and hourly rollups as the tracker would. Set-based
 * (generate_series), one month per statement on each of two sessions, idempotency keys `<tag>-<n>`.
 * The sessions get memory to aggregate a month in (the default 4 MB work_mem spills ~1.5M rollup
 * groups to disk and takes minutes a month).
 */
export async function generateStoredEvents(
  db: DataSource,
  tenantIds: readonly string[],
  months: readonly Date[],
  perMonth: number,
  tag: string,
  now: Date = new Date(),
): Promise<void> {
  const queue = [...months.entries()];
  const session = async (): Promise<void> => {
    const runner = db.createQueryRunner();
    try {
      await runner.query(`SET work_mem = '256MB'`);
      for (let next = queue.shift(); next; next = queue.shift()) await generateMonth(runner, tenantIds, next[1], next[0] * perMonth, perMonth, tag, now);
    } finally {
      await runner.release();
    }
  };
  await Promise.all([session(), session()]);
}

async function generateMonth(
  runner: QueryRunner,
  tenantIds: readonly string[],
  month: Date,
  offset: number,
  perMonth: number,
  tag: string,
  now: Date,
): Promise<void> {
  const next = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 1));
  const spanSeconds = Math.max(1, Math.floor((Math.min(next.getTime(), now.getTime() - 60_000) - month.getTime()) / 1000));
  // Tenants joined by ordinal (a hash join): subscripting the uuid[] parameter per row copies it each time.
  await runner.query(
    `WITH stored AS (
       INSERT INTO usage_events (tenant_id, agent, action_type, resource_id, quantity, idempotency_key, occurred_at, period_start)
       SELECT t.id, a.agent, a.action, $6 || '-res-' || g, 1, $6 || '-' || g,
              $3::timestamptz + ((g::bigint * 7919) % $4) * interval '1 second', $3::timestamptz
         FROM generate_series($5::bigint, $5::bigint + $7 - 1) g
         JOIN (SELECT id, n - 1 AS n FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, n)) t ON t.n = g % $2
         JOIN (VALUES (0, 'inbox', 'email_processed'), (1, 'invoice', 'invoice_detected'), (2, 'meeting', 'meeting_prep'))
              AS a(n, agent, action) ON a.n = (g / $2) % 3
       RETURNING tenant_id, idempotency_key, occurred_at)
     INSERT INTO usage_event_keys (tenant_id, idempotency_key, occurred_at) SELECT * FROM stored`,
    [tenantIds, tenantIds.length, month, spanSeconds, offset, tag, perMonth],
  );
  const range = [month, next, `${tag}-%`];
  await runner.query(
    `INSERT INTO usage_counters (tenant_id, agent, period_start, period_end, count, last_event_at)
     SELECT tenant_id, agent, period_start, $2, sum(quantity), max(occurred_at)
       FROM usage_events WHERE occurred_at >= $1 AND occurred_at < $2 AND idempotency_key LIKE $3 GROUP BY 1, 2, 3
     ON CONFLICT (tenant_id, agent, period_start) DO UPDATE
        SET count = usage_counters.count + excluded.count, last_event_at = greatest(usage_counters.last_event_at, excluded.last_event_at)`,
    range,
  );
  await runner.query(
    `INSERT INTO usage_rollups (tenant_id, agent, period_start, bucket_start, count)
     SELECT tenant_id, agent, period_start, date_trunc('hour', occurred_at, 'UTC'), sum(quantity)
       FROM usage_events WHERE occurred_at >= $1 AND occurred_at < $2 AND idempotency_key LIKE $3 GROUP BY 1, 2, 3, 4
     ON CONFLICT (tenant_id, agent, period_start, bucket_start) DO UPDATE SET count = usage_rollups.count + excluded.count`,
    range,
  );
}

/** Name of the stored database for a shape: what it holds, the schema and the month it was made for. */
export function storedDatabaseName(shape: StoredShape, now: Date = new Date()): string {
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ GENERATOR_VERSION, shape, migrations: MIGRATIONS.map((m) => m.name), month: calendarMonthOf(now).start }))
    .digest('hex')
    .slice(0, 16);
  return `${STORED_PREFIX}${shape.events}_${fingerprint}`;
}

async function admin<T>(serverUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Timings (seconds) of building a stored database; absent when one was reused. */
export interface GenerationTimes {
  loadSeconds: number;
  indexSeconds: number;
  vacuumSeconds: number;
  totalSeconds: number;
}

/**
 * The stored database of `shape`, generated unless a complete one with the same fingerprint
 * exists (stored databases of the same size but another fingerprint are dropped first).
 * Keys and foreign keys are added after the load: one sort per index instead of 20M B-tree inserts.
 */
export async function ensureStoredDatabase(
  serverUrl: string,
  shape: StoredShape,
  log: (message: string) => void,
): Promise<{ name: string; generated: GenerationTimes | null }> {
  const name = storedDatabaseName(shape);
  // One stored database per size is kept: `--quick` and the default run do not evict each other.
  const existing = await admin(serverUrl, async (client) =>
    (await client.query(`SELECT datname, shobj_description(oid, 'pg_database') AS note FROM pg_database WHERE datname LIKE $1`, [`${STORED_PREFIX}${shape.events}\\_%`])).rows as Array<{ datname: string; note: string | null }>,
  );
  if (existing.some((row) => row.datname === name && row.note === COMPLETE)) return { name, generated: null };
  for (const row of existing) await dropDatabase(serverUrl, row.datname);

  log(`generating stored database ${name}: ${shape.events.toLocaleString('en-US')} events, ${shape.months} months, ${shape.tenants} tenants`);
  const started = Date.now();
  await ensureDatabase(serverUrl, name);
  const db = createMeteringDataSource(withDatabase(serverUrl, name), 4, 'usage-bench-generate');
  await db.initialize();
  try {
    await runMigrationsWithLock(db);
    const { tenantIds } = await seedTenants(db, shape.tenants);
    const months = monthsBack(new Date(), shape.months);
    const logger = createLogger({ level: 'silent', json: true, service: 'bench' });
    await new UsageEventPartitions(db, { logger, partitionsAhead: 2, retentionMonths: null, oldestUnreportedPeriodEnd: async () => null }).ensureMonths(months);
    await db.query(`ALTER TABLE usage_events DROP CONSTRAINT pk_usage_events, DROP CONSTRAINT fk_usage_events_tenant`);
    await db.query(`ALTER TABLE usage_event_keys DROP CONSTRAINT pk_usage_event_keys, DROP CONSTRAINT fk_usage_event_keys_tenant`);
    await generateStoredEvents(db, tenantIds, months, Math.floor(shape.events / shape.months), 'stored');
    const loaded = Date.now();
    log(`  loaded in ${((loaded - started) / 1000).toFixed(1)} s; building keys`);
    // As migration 1765200000000 defines them; one session, with memory to sort 20M entries in.
    const runner = db.createQueryRunner();
    await runner.query(`SET maintenance_work_mem = '1GB'`);
    await runner.query(
      `ALTER TABLE usage_events ADD CONSTRAINT pk_usage_events PRIMARY KEY (tenant_id, occurred_at, idempotency_key) INCLUDE (agent, period_start, quantity)`,
    );
    await runner.query(`ALTER TABLE usage_events ADD CONSTRAINT fk_usage_events_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE`);
    await runner.query(`ALTER TABLE usage_event_keys ADD CONSTRAINT pk_usage_event_keys PRIMARY KEY (tenant_id, idempotency_key)`);
    await runner.query(`ALTER TABLE usage_event_keys ADD CONSTRAINT fk_usage_event_keys_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE`);
    const indexed = Date.now();
    log(`  keys built in ${((indexed - loaded) / 1000).toFixed(1)} s; vacuuming`);
    // As autovacuum leaves settled tables: statistics and visibility map up to date.
    await runner.query('VACUUM ANALYZE');
    await runner.query('CHECKPOINT');
    await runner.release();
    const done = Date.now();
    await db.destroy();
    await admin(serverUrl, (client) => client.query(`COMMENT ON DATABASE ${name} IS '${COMPLETE}'`));
    const generated = {
      loadSeconds: (loaded - started) / 1000,
      indexSeconds: (indexed - loaded) / 1000,
      vacuumSeconds: (done - indexed) / 1000,
      totalSeconds: (done - started) / 1000,
    };
    log(`  generated in ${generated.totalSeconds.toFixed(1)} s`);
    return { name, generated };
  } finally {
    if (db.isInitialized) await db.destroy();
  }
}

/** A throw-away copy of a stored database (file copy: far faster than WAL-logging gigabytes). */
export async function copyDatabase(serverUrl: string, template: string, copy: string): Promise<number> {
  const started = Date.now();
  await admin(serverUrl, (client) => client.query(`CREATE DATABASE ${copy} TEMPLATE ${template} STRATEGY FILE_COPY`));
  return (Date.now() - started) / 1000;
}

/**
 * Bytes on disk of the events (every partition, with indexes and TOAST), of their keys, and of the
 * hourly rollups the history reads (not per event by nature: one row per tenant, agent and hour with
 * events, so sparse tenants pay about one row per event).
 */
export async function eventBytes(
  db: DataSource,
): Promise<{ events: number; eventIndexes: number; keys: number; keyIndexes: number; rows: number; rollups: number; rollupIndexes: number; rollupRows: number }> {
  const [row] = await db.query(`
    SELECT (SELECT sum(pg_table_size(c.oid)) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'usage_events'::regclass)::bigint AS events,
           (SELECT sum(pg_indexes_size(c.oid)) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'usage_events'::regclass)::bigint AS event_indexes,
           pg_table_size('usage_event_keys') AS keys, pg_indexes_size('usage_event_keys') AS key_indexes,
           (SELECT count(*) FROM usage_event_keys)::bigint AS rows,
           pg_table_size('usage_rollups') AS rollups, pg_indexes_size('usage_rollups') AS rollup_indexes,
           (SELECT count(*) FROM usage_rollups)::bigint AS rollup_rows`);
  return {
    events: Number(row.events),
    eventIndexes: Number(row.event_indexes),
    keys: Number(row.keys),
    keyIndexes: Number(row.key_indexes),
    rows: Number(row.rows),
    rollups: Number(row.rollups),
    rollupIndexes: Number(row.rollup_indexes),
    rollupRows: Number(row.rollup_rows),
  };
}

/**
 * Waits until Postgres has checkpointed and the kernel has written back what a generation or copy
 * left dirty (Dirty + Writeback < 64 MB, at most `timeoutMs`): gigabytes of pending writeback slow
 * every fsync, so whatever is measured next would be measured against the disk. Returns the seconds waited.
 */
export async function settleWrites(db: DataSource, timeoutMs = 180_000): Promise<number> {
  const started = Date.now();
  await db.query('CHECKPOINT');
  const pendingKb = (): number => {
    try {
      const meminfo = readFileSync('/proc/meminfo', 'utf8');
      const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(meminfo)?.[1] ?? 0);
      return kb('Dirty') + kb('Writeback');
    } catch {
      return 0;
    }
  };
  while (pendingKb() > 64 * 1024 && Date.now() - started < timeoutMs) await new Promise((resolve) => setTimeout(resolve, 500));
  return (Date.now() - started) / 1000;
}
