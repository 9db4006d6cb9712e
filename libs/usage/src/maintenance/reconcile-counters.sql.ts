/**
 * Recount and correct the counters of a set of tenants in ONE statement (one snapshot):
 * - scope: every counter and event of a period that can still be billed: the current one, the
 *   one before it (`current_period_start - 31 days`), and every period ending inside Stripe's
 *   35-day meter window (`$4 - 66 days`: 35 days plus the longest month), late events included;
 * - recount: events summed per (tenant, agent, period), tenant by tenant (LATERAL): an index-only
 *   range scan of the events' primary key (tenant_id, occurred_at, ...) INCLUDE (agent,
 *   period_start, quantity) from `since` on: an event lies inside its period, so `occurred_at >=
 *   since` loses none of the scope and lets Postgres skip the partitions of older months: a run
 *   costs the in-scope months' events, not the whole history. Per tenant the groups are a handful
 *   (agents x periods), so hashing them is cheap;
 * - corrections (usage_corrections, issue 18) are added to the events of their counter: a void or
 *   an adjustment moved the counter in the same transaction as it was written, so the source of
 *   truth is events plus corrections;
 * - FULL JOIN, so counters without events and events without a counter both show up;
 * - drift ratio = |counted - recounted| / max(recounted, 1);
 * - counters within `$2` tolerance are corrected by the DELTA seen in this snapshot
 *   (`count + (recounted - counted)`): a batch committed meanwhile added its events and its
 *   increment together, so applying the delta on top of the current value stays exact.
 * Parameters: $1 tenant ids, $2 tolerance ratio, $3 dry run, $4 now.
 */
export const RECONCILE_COUNTERS_SQL = `
WITH scope AS (
  SELECT s.tenant_id, least(s.current_period_start - interval '31 days', $4::timestamptz - interval '66 days') AS since
    FROM subscriptions s
   WHERE s.tenant_id = ANY($1::uuid[])
), counters AS (
  SELECT c.id, c.tenant_id, c.agent, c.period_start, c.count
    FROM usage_counters c JOIN scope ON scope.tenant_id = c.tenant_id
   WHERE c.period_start >= scope.since
), event_sums AS (
  SELECT scope.tenant_id, r.agent, r.period_start, r.recounted
    FROM scope CROSS JOIN LATERAL (
      SELECT e.agent, e.period_start, sum(e.quantity)::bigint AS recounted
        FROM usage_events e
       WHERE e.tenant_id = scope.tenant_id AND e.period_start >= scope.since AND e.occurred_at >= scope.since
       GROUP BY e.agent, e.period_start) r
), correction_sums AS (
  SELECT k.tenant_id, k.agent, k.period_start, sum(k.quantity_delta)::bigint AS delta
    FROM usage_corrections k JOIN scope ON scope.tenant_id = k.tenant_id
   WHERE k.period_start >= scope.since
   GROUP BY k.tenant_id, k.agent, k.period_start
), recount AS (
  SELECT coalesce(r.tenant_id, k.tenant_id) AS tenant_id, coalesce(r.agent, k.agent) AS agent,
         coalesce(r.period_start, k.period_start) AS period_start,
         coalesce(r.recounted, 0) + coalesce(k.delta, 0) AS recounted
    FROM event_sums r
    FULL JOIN correction_sums k ON k.tenant_id = r.tenant_id AND k.agent = r.agent AND k.period_start = r.period_start
), compared AS (
  SELECT coalesce(c.tenant_id, r.tenant_id) AS tenant_id,
         coalesce(c.agent, r.agent) AS agent,
         coalesce(c.period_start, r.period_start) AS period_start,
         c.id AS counter_id,
         c.count AS counted,
         coalesce(r.recounted, 0) AS recounted
    FROM counters c
    FULL JOIN recount r
      ON r.tenant_id = c.tenant_id AND r.agent = c.agent AND r.period_start = c.period_start
), drift AS (
  SELECT compared.*,
         abs(coalesce(counted, 0) - recounted)::float8 / greatest(recounted, 1) AS ratio
    FROM compared
   WHERE counted IS DISTINCT FROM recounted
), corrected AS (
  UPDATE usage_counters c
     SET count = c.count + (d.recounted - d.counted), updated_at = now()
    FROM drift d
   WHERE NOT $3::boolean AND d.counter_id = c.id AND d.ratio <= $2::float8
  RETURNING c.id
)
SELECT (SELECT count(*) FROM compared)::int AS checked,
       (SELECT coalesce(json_agg(json_build_object(
                 'tenant_id', d.tenant_id, 'agent', d.agent, 'period_start', d.period_start,
                 'counter_id', d.counter_id, 'counted', d.counted, 'recounted', d.recounted,
                 'ratio', d.ratio) ORDER BY d.tenant_id, d.agent, d.period_start), '[]'::json)
          FROM drift d) AS drifts,
       (SELECT coalesce(json_agg(id), '[]'::json) FROM corrected) AS corrected`;
