/*
 * The statements of one correction's transaction (UsageCorrectionsService.apply), in the order it
 * runs them. Lock order: the correction key's advisory lock (only corrections take it), then the
 * ONE counter row (tenant, agent, period_start), then that counter's rollup rows by bucket_start
 * -- the order commit-events.sql.ts takes counter and rollup locks in, so a correction never
 * deadlocks with live ingest, and while it holds the counter no commit of that counter is halfway.
 */

/** Serialises corrections that share a key, so a concurrent replay sees the first one committed. */
export const LOCK_CORRECTION_KEY_SQL = `SELECT pg_advisory_xact_lock(hashtextextended($1::text || '/' || $2::text, 18))`;

export const FIND_CORRECTION_SQL = `SELECT * FROM usage_corrections WHERE tenant_id = $1 AND correction_key = $2`;

export const FIND_VOIDING_CORRECTION_SQL = `
SELECT correction_key FROM usage_corrections WHERE tenant_id = $1 AND voided_idempotency_key = $2`;

/** The counter, locked; absent when nothing was ever counted for it. */
export const LOCK_COUNTER_SQL = `
SELECT count, period_end FROM usage_counters
 WHERE tenant_id = $1 AND agent = $2 AND period_start = $3
   FOR UPDATE`;

/** A counter of 0 for a period that has none yet (an adjustment of an agent not used in it). */
export const OPEN_COUNTER_SQL = `
INSERT INTO usage_counters (tenant_id, agent, period_start, period_end, count)
VALUES ($1, $2, $3, $4, 0)
ON CONFLICT (tenant_id, agent, period_start) DO NOTHING`;

/**
 * The end of the tenant's period starting at $2: from a counter of it, else its terms (written
 * when it opened), else the subscription's current period. Null when $2 starts no period of the
 * tenant's.
 */
export const PERIOD_END_SQL = `
SELECT coalesce(
         (SELECT max(period_end) FROM usage_counters WHERE tenant_id = $1 AND period_start = $2),
         (SELECT period_end FROM billing_period_terms WHERE tenant_id = $1 AND period_start = $2),
         (SELECT current_period_end FROM subscriptions WHERE tenant_id = $1 AND current_period_start = $2)) AS period_end`;

export const ADD_TO_COUNTER_SQL = `
UPDATE usage_counters SET count = count + $4, updated_at = now()
 WHERE tenant_id = $1 AND agent = $2 AND period_start = $3
RETURNING count`;

export const ADD_TO_ROLLUP_SQL = `
INSERT INTO usage_rollups (tenant_id, agent, period_start, bucket_start, count)
VALUES ($1, $2, $3, date_trunc('hour', $4::timestamptz, 'UTC'), $5)
ON CONFLICT (tenant_id, agent, period_start, bucket_start) DO UPDATE
   SET count = usage_rollups.count + excluded.count`;

/**
 * The counter's rollups, locked in bucket order (the order the commit statement locks them in).
 * Read from the period's first hour on: the rollups' key leads with (tenant_id, bucket_start).
 */
export const LOCK_ROLLUPS_SQL = `
SELECT bucket_start, count FROM usage_rollups
 WHERE tenant_id = $1 AND bucket_start >= date_trunc('hour', $3::timestamptz, 'UTC') AND agent = $2 AND period_start = $3
 ORDER BY bucket_start
   FOR UPDATE`;

export const TAKE_FROM_ROLLUPS_SQL = `
UPDATE usage_rollups r SET count = r.count - t.take
  FROM unnest($4::timestamptz[], $5::bigint[]) AS t(bucket_start, take)
 WHERE r.tenant_id = $1 AND r.agent = $2 AND r.period_start = $3 AND r.bucket_start = t.bucket_start`;

export const INSERT_CORRECTION_SQL = `
INSERT INTO usage_corrections
       (tenant_id, correction_key, kind, agent, period_start, quantity_delta, voided_idempotency_key, resource_id,
        occurred_at, reason, actor, counter_before, counter_after, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
RETURNING *`;
