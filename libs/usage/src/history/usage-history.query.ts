/**
 * A tenant's committed quantities per agent and window over [$2, $3), from the hourly rollups (at
 * most 24 x 31 rows per agent for a month, never the raw events): ONE row per agent, its non-empty
 * windows as `index:count,...` where index counts windows of $4 seconds from $2. Shaped for the API's
 * CPU: parsing one row per window and agent (504 for a week of hours) cost it more than the query.
 * The binning is arithmetic on UTC instants (date_part on an interval is a double, exact for whole
 * hours); date_trunc(..., 'UTC') converted time zones per row, ten times slower.
 */
export const USAGE_HISTORY_SQL = `
SELECT agent, string_agg(idx || ':' || total, ',') AS cells
  FROM (SELECT agent, floor(date_part('epoch', bucket_start - $2::timestamptz) / $4)::int AS idx, sum(count) AS total
          FROM usage_rollups
         WHERE tenant_id = $1 AND bucket_start >= $2 AND bucket_start < $3 AND ($5::varchar IS NULL OR agent = $5)
         GROUP BY 1, 2) w
 GROUP BY agent`;
