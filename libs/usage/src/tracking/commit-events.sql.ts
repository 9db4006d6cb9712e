/**
 * One statement, so it is atomic without BEGIN/COMMIT round trips:
 * 1. insert the keys into usage_event_keys, skipping keys already stored (its primary key is the
 *    guarantee, across every partition of usage_events), then the events whose key was inserted;
 * 2. sum what was actually inserted per (tenant, agent, period) -- hot tenants touch each
 *    counter row once per batch, not once per event;
 * 3. upsert those sums into the counters in a fixed order;
 * 4. (`rolled`) add the same inserted quantities to the hourly rollups the usage history reads, so
 *    a period's rollups always sum to its counter (same statement, same transaction). A data-modifying
 *    CTE runs to completion even though nothing reads it; it runs after the counters, in every batch
 *    alike, and its rows are sorted, so lock order stays fixed.
 * 5. of the keys NOT inserted (already stored: usually none), find those stored with other content
 *    (agent, action_type, resource_id or quantity differ: Stripe's rule, same key + different
 *    request = conflict) and write them, with the dead letters the caller found ($2), to
 *    usage_dead_letters -- in this statement, so a conflict costs no extra round trip.
 *    The stored event of a key is found through the key's occurred_at: one probe of the events'
 *    primary key (tenant_id, occurred_at, idempotency_key) in one partition (run-time pruning).
 * Returns the keys not inserted, the conflicting ones among them, each moved counter as
 * [tenant_id, agent, period_start ms, period_end ms, count] and what this statement added to each
 * as [tenant_id, agent, period_start ms, quantity]: two lists the caller matches up. Joined here,
 * the planner would see the RETURNING of a data-modifying CTE as one row (it cannot estimate
 * one) and pair the two lists by nested loop: batch size squared comparisons, ~1 ms of a
 * 110-event commit's ~5.
 *
 * occurred_at and metadata do not count as content: a client re-sending an event without
 * occurred_at gets a new one each time, and metadata is annotation, not billed.
 * A key stored by a transaction that committed after this statement began is invisible to the
 * comparison and counts as a plain duplicate (the insert itself still never counts it twice).
 *
 * The events arrive as ONE json array of objects keyed by the column names below: JSON.stringify
 * costs the worker a fraction of what ten Postgres array literals cost to build and escape, and
 * Postgres reads it in C. Values were validated before (no NUL, well-formed Unicode), so json
 * carries them exactly.
 */
export const COMMIT_EVENTS_SQL = `
WITH input AS (
  SELECT *
    FROM json_to_recordset($1::json)
      AS t(tenant_id uuid, agent varchar, action_type varchar, resource_id varchar, quantity int,
           idempotency_key varchar, metadata jsonb, occurred_at timestamptz, period_start timestamptz,
           period_end timestamptz)
), keyed AS (
  INSERT INTO usage_event_keys (tenant_id, idempotency_key, occurred_at)
  SELECT tenant_id, idempotency_key, occurred_at FROM input
  ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
  RETURNING tenant_id, idempotency_key
), inserted AS (
  INSERT INTO usage_events
         (tenant_id, agent, action_type, resource_id, quantity, idempotency_key, metadata, occurred_at, period_start)
  SELECT i.tenant_id, i.agent, i.action_type, i.resource_id, i.quantity, i.idempotency_key, i.metadata, i.occurred_at, i.period_start
    FROM input i
    JOIN keyed k USING (tenant_id, idempotency_key)
  RETURNING tenant_id, agent, period_start, quantity, occurred_at, idempotency_key
), added AS (
  SELECT tenant_id, agent, period_start, sum(quantity)::bigint AS quantity, max(occurred_at) AS last_event_at
    FROM inserted
   GROUP BY tenant_id, agent, period_start
), periods AS (
  SELECT DISTINCT tenant_id, agent, period_start, period_end FROM input
), counted AS (
  INSERT INTO usage_counters (tenant_id, agent, period_start, period_end, count, last_event_at)
  SELECT a.tenant_id, a.agent, a.period_start, p.period_end, a.quantity, a.last_event_at
    FROM added a
    JOIN periods p USING (tenant_id, agent, period_start)
   ORDER BY a.tenant_id, a.agent, a.period_start
  ON CONFLICT (tenant_id, agent, period_start) DO UPDATE
     SET count = usage_counters.count + excluded.count,
         last_event_at = greatest(usage_counters.last_event_at, excluded.last_event_at),
         updated_at = now()
  RETURNING tenant_id, agent, period_start, period_end, count
), rolled AS (
  INSERT INTO usage_rollups (tenant_id, agent, period_start, bucket_start, count)
  SELECT tenant_id, agent, period_start, date_trunc('hour', occurred_at, 'UTC'), sum(quantity)
    FROM inserted
   GROUP BY 1, 2, 3, 4
   ORDER BY 1, 2, 3, 4
  ON CONFLICT (tenant_id, agent, period_start, bucket_start) DO UPDATE
     SET count = usage_rollups.count + excluded.count
), skipped AS (
  SELECT tenant_id, idempotency_key FROM input
  EXCEPT ALL
  SELECT tenant_id, idempotency_key FROM keyed
), conflicts AS (
  SELECT i.tenant_id, i.idempotency_key, i.agent, i.action_type, i.resource_id, i.quantity, i.occurred_at, i.metadata,
         e.agent AS stored_agent, e.action_type AS stored_action_type, e.resource_id AS stored_resource_id, e.quantity AS stored_quantity
    FROM skipped d
    JOIN input i USING (tenant_id, idempotency_key)
    JOIN usage_event_keys k USING (tenant_id, idempotency_key)
    JOIN usage_events e ON e.tenant_id = k.tenant_id AND e.occurred_at = k.occurred_at AND e.idempotency_key = k.idempotency_key
   WHERE (e.agent, e.action_type, e.resource_id, e.quantity) IS DISTINCT FROM (i.agent, i.action_type, i.resource_id, i.quantity)
), dead AS (
  INSERT INTO usage_dead_letters (tenant_id, idempotency_key, event, reason, detail, job_id)
  SELECT tenant_id, idempotency_key, event, reason, detail, job_id
    FROM json_to_recordset($2::json) AS t(tenant_id uuid, idempotency_key varchar, event jsonb, reason varchar, detail text, job_id varchar)
  UNION ALL
  SELECT c.tenant_id, c.idempotency_key,
         jsonb_build_object('agent', c.agent, 'action_type', c.action_type, 'resource_id', c.resource_id, 'quantity', c.quantity,
                            'idempotency_key', c.idempotency_key, 'occurred_at', c.occurred_at, 'metadata', c.metadata),
         'idempotency_conflict',
         format('idempotency_key %s was already used for another event (agent %s, action_type %s, resource_id %s, quantity %s)',
                c.idempotency_key, c.stored_agent, c.stored_action_type, c.stored_resource_id, c.stored_quantity),
         NULL
    FROM conflicts c
  ON CONFLICT DO NOTHING
  RETURNING 1
)
SELECT
  (SELECT coalesce(json_agg(json_build_array(d.tenant_id, d.idempotency_key)), '[]'::json) FROM skipped d) AS duplicates,
  (SELECT coalesce(json_agg(json_build_array(c.tenant_id, c.idempotency_key)), '[]'::json) FROM conflicts c) AS conflicts,
  (SELECT coalesce(json_agg(json_build_array(
            c.tenant_id, c.agent, (extract(epoch FROM c.period_start) * 1000)::bigint,
            (extract(epoch FROM c.period_end) * 1000)::bigint, c.count)), '[]'::json)
     FROM counted c) AS counters,
  (SELECT coalesce(json_agg(json_build_array(a.tenant_id, a.agent, (extract(epoch FROM a.period_start) * 1000)::bigint, a.quantity)), '[]'::json)
     FROM added a) AS added
`;
