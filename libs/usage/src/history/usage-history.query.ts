/**
 * A tenant's committed quantities per agent and window (hour or day, UTC) over [$2, $3), from the
 * hourly rollups: at most 24 x 31 rows per agent for a month, never the raw events.
 */
export const USAGE_HISTORY_SQL = `
SELECT agent, (extract(epoch FROM date_trunc($4, bucket_start, 'UTC')) * 1000)::bigint AS start_ms, sum(count)::bigint AS count
  FROM usage_rollups
 WHERE tenant_id = $1 AND bucket_start >= $2 AND bucket_start < $3 AND ($5::varchar IS NULL OR agent = $5)
 GROUP BY 1, 2`;
