/**
 * One page of a tenant's drill-down, newest first: its raw events and its corrections (issue 18)
 * merged in one order, (occurred_at, rank, key) descending, where rank is 0 for an event and 1 for
 * a correction (so at the same instant a correction comes first). Each branch reads its own index
 * (the events' primary key (tenant_id, occurred_at, idempotency_key), idx_usage_corrections_tenant_occurred) up to the page size
 * after the keyset cursor ($6 = occurred_at in epoch microseconds, $7 = key, $9 = rank); the
 * merge keeps the first $8. Keyset, not OFFSET: a row inserted meanwhile never shifts the pages
 * already read, so no row is returned twice or skipped.
 */
export const USAGE_EVENTS_PAGE_SQL = `
(SELECT 0 AS rank, agent, action_type, resource_id, quantity, idempotency_key, metadata,
        (extract(epoch FROM occurred_at) * 1000000)::bigint AS occurred_us,
        NULL::varchar AS correction_type, NULL::text AS reason, NULL::varchar AS voided_idempotency_key
   FROM usage_events
  WHERE tenant_id = $1
    AND ($2::varchar IS NULL OR agent = $2)
    AND ($3::timestamptz IS NULL OR occurred_at >= $3)
    AND ($4::timestamptz IS NULL OR occurred_at < $4)
    AND ($5::varchar IS NULL OR resource_id = $5)
    AND ($6::bigint IS NULL OR (occurred_at <= 'epoch'::timestamptz + $6 * interval '1 microsecond'
         AND (occurred_at < 'epoch'::timestamptz + $6 * interval '1 microsecond' OR $9::int = 1 OR idempotency_key < $7::varchar)))
  ORDER BY occurred_at DESC, idempotency_key DESC
  LIMIT $8)
UNION ALL
(SELECT 1, agent, 'correction', coalesce(resource_id, ''), quantity_delta, correction_key, '{}'::jsonb,
        (extract(epoch FROM occurred_at) * 1000000)::bigint,
        kind, reason, voided_idempotency_key
   FROM usage_corrections
  WHERE tenant_id = $1
    AND ($2::varchar IS NULL OR agent = $2)
    AND ($3::timestamptz IS NULL OR occurred_at >= $3)
    AND ($4::timestamptz IS NULL OR occurred_at < $4)
    AND ($5::varchar IS NULL OR resource_id = $5)
    AND ($6::bigint IS NULL OR (occurred_at <= 'epoch'::timestamptz + $6 * interval '1 microsecond'
         AND (occurred_at < 'epoch'::timestamptz + $6 * interval '1 microsecond' OR ($9::int = 1 AND correction_key < $7::varchar))))
  ORDER BY occurred_at DESC, correction_key DESC
  LIMIT $8)
 ORDER BY occurred_us DESC, rank DESC, idempotency_key DESC
 LIMIT $8`;
