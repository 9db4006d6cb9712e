import { Pool } from 'pg';
import type { TrackEventInput } from '@metering/usage';
import type { BillingPeriod } from '@metering/usage';
import { runPool } from '../harness/bench-data';

/** Connections the raw baseline uses (the "~2,100/s on eight" figure used eight). */
export const RAW_CONNECTIONS = 8;

// The exactly-once key first (usage_event_keys), then the events whose key was new: the schema's
// minimum, as COMMIT_EVENTS_SQL does it.
const INSERT_EVENTS = `
  WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::varchar[], $5::int[], $6::varchar[], $7::timestamptz[], $8::timestamptz[])
      AS t(tenant_id, agent, action_type, resource_id, quantity, idempotency_key, occurred_at, period_start)
  ), keyed AS (
    INSERT INTO usage_event_keys (tenant_id, idempotency_key, occurred_at)
    SELECT tenant_id, idempotency_key, occurred_at FROM input
    ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
    RETURNING tenant_id, idempotency_key
  )
  INSERT INTO usage_events (tenant_id, agent, action_type, resource_id, quantity, idempotency_key, occurred_at, period_start)
  SELECT i.* FROM input i JOIN keyed USING (tenant_id, idempotency_key)`;
const UPSERT_COUNTERS = `
  INSERT INTO usage_counters (tenant_id, agent, period_start, period_end, count, last_event_at)
  SELECT tenant_id, agent, $3::timestamptz, $4::timestamptz, count(*), now()
    FROM unnest($1::uuid[], $2::varchar[]) AS t(tenant_id, agent)
   GROUP BY tenant_id, agent
   ORDER BY tenant_id, agent
  ON CONFLICT (tenant_id, agent, period_start) DO UPDATE SET count = usage_counters.count + excluded.count`;

/**
 * Baseline of ingest-bulk: what plain `pg` does with the same events, 100 per transaction
 * (BEGIN, one multi-row insert, one counter upsert, COMMIT), on RAW_CONNECTIONS connections.
 * No validation, no queue, no tenant lookup: the floor the project is compared with.
 */
export async function rawBulkInsertRate(databaseUrl: string, events: TrackEventInput[], period: BillingPeriod, perTransaction = 100): Promise<number> {
  const pool = new Pool({ connectionString: databaseUrl, max: RAW_CONNECTIONS });
  try {
    await Promise.all(Array.from({ length: RAW_CONNECTIONS }, () => pool.query('SELECT 1')));
    const batches = Math.ceil(events.length / perTransaction);
    const started = Date.now();
    await runPool(batches, RAW_CONNECTIONS, async (b) => {
      const batch = events.slice(b * perTransaction, (b + 1) * perTransaction);
      const now = new Date().toISOString();
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(INSERT_EVENTS, [
          batch.map((e) => e.tenantId),
          batch.map((e) => e.agent),
          batch.map((e) => e.actionType),
          batch.map((e) => e.resourceId),
          batch.map(() => 1),
          batch.map((e) => e.idempotencyKey),
          batch.map(() => now),
          batch.map(() => period.start),
        ]);
        await client.query(UPSERT_COUNTERS, [batch.map((e) => e.tenantId), batch.map((e) => e.agent), period.start, period.end]);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    });
    return events.length / ((Date.now() - started) / 1000);
  } finally {
    await pool.end();
  }
}
