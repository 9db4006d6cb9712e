import { createHash } from 'node:crypto';
import type { WireEvent } from '../events/wire-event';

/**
 * One event in job data: the wire shape plus the tenant it belongs to. The producer always fills
 * quantity and idempotency_key; occurred_at is absent when the event happened at `enqueued_at`.
 * The worker parses it again with the same parser (parseWireEvents): job data is a wire too.
 */
export interface TrackEventJobData {
  tenant_id: string;
  event: WireEvent & { quantity: number; idempotency_key: string };
  /** When the producer accepted it (ms since epoch), for the enqueue-to-commit lag metric. */
  enqueued_at: number;
}

/** A `track-events` job: up to MAX_EVENTS_PER_BATCH events, recorded in one transaction. */
export interface TrackEventsJobData {
  events: Array<Omit<TrackEventJobData, 'enqueued_at'>>;
  enqueued_at: number;
}

/**
 * BullMQ job id of one event: the same tenant + idempotency key always gives the same id, so a
 * re-enqueue of an event still in Redis is absorbed there (Postgres remains the real guarantee).
 */
export function trackEventJobId(tenantId: string, idempotencyKey: string): string {
  return `evt-${createHash('sha256').update(`${tenantId}\u0000${idempotencyKey}`).digest('hex').slice(0, 40)}`;
}

/** Job id of a batch: derived from every (tenant, key) in it, in order. */
export function trackEventsJobId(events: ReadonlyArray<{ tenant_id: string; event: { idempotency_key: string } }>): string {
  const hash = createHash('sha256');
  for (const item of events) hash.update(`${item.tenant_id}\u0000${item.event.idempotency_key}\u0001`);
  return `batch-${hash.digest('hex').slice(0, 40)}`;
}
