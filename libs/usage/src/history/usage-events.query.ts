/**
 * One page of a tenant's raw events, newest first, after the keyset cursor ($6 = occurred_at in
 * epoch microseconds, $7 = idempotency key). Keyset, not OFFSET: a page is found by a probe of the
 * events' primary key (tenant_id, occurred_at, idempotency_key) and an event inserted meanwhile
 * never shifts the pages already read, so no row is returned twice or skipped.
 */
export const USAGE_EVENTS_PAGE_SQL = `
SELECT agent, action_type, resource_id, quantity, idempotency_key, metadata,
       (extract(epoch FROM occurred_at) * 1000000)::bigint AS occurred_us
  FROM usage_events
 WHERE tenant_id = $1
   AND ($2::varchar IS NULL OR agent = $2)
   AND ($3::timestamptz IS NULL OR occurred_at >= $3)
   AND ($4::timestamptz IS NULL OR occurred_at < $4)
   AND ($5::varchar IS NULL OR resource_id = $5)
   AND ($6::bigint IS NULL OR (occurred_at, idempotency_key) < ('epoch'::timestamptz + $6 * interval '1 microsecond', $7::varchar))
 ORDER BY occurred_at DESC, idempotency_key DESC
 LIMIT $8`;
