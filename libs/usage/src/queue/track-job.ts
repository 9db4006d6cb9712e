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

/**
 * A `track-events` job: up to MAX_EVENTS_PER_BATCH events. Without `calls`, one producer call
 * (trackMany, an HTTP batch): recorded in one transaction, failed together. With `calls`, the
 * producer coalesced several calls into this job (EnqueueLane): the event counts of each call in
 * order, and the worker records and fails each call on its own, as if it were its own job.
 */
export interface TrackEventsJobData {
  events: Array<Omit<TrackEventJobData, 'enqueued_at'>>;
  /** When the first of its calls was accepted; a later call's events carry their own occurred_at. */
  enqueued_at: number;
  calls?: number[];
}

/**
 * The fields that make two events with one idempotency key the same event (agent, action,
 * resource, quantity), as one text: part of the job id, so a key re-sent with other content is a
 * job of its own that the worker dead-letters as a conflict, not a job BullMQ absorbs in silence.
 */
export function eventContentKey(agent: string, actionType: string, resourceId: string, quantity: number): string {
  return `${agent}\u0000${actionType}\u0000${resourceId}\u0000${quantity}`;
}

/**
 * BullMQ job id of one event: the same tenant + idempotency key + content always gives the same
 * id, so a re-enqueue of an event still in Redis is absorbed there (Postgres remains the real
 * guarantee).
 */
export function trackEventJobId(tenantId: string, idempotencyKey: string, contentKey = ''): string {
  return `evt-${createHash('sha256').update(`${tenantId}\u0000${idempotencyKey}\u0002${contentKey}`).digest('hex').slice(0, 40)}`;
}

type JobEventIdentity = { tenant_id: string; event: { idempotency_key: string; agent: string; action_type: string; resource_id: string; quantity: number } };

/** The content key of an event in job data. */
export function jobEventContentKey(item: JobEventIdentity): string {
  return eventContentKey(item.event.agent, item.event.action_type, item.event.resource_id, item.event.quantity);
}

/** Job id of a batch: derived from every (tenant, key, content) in it, in order. */
export function trackEventsJobId(events: ReadonlyArray<JobEventIdentity>): string {
  const hash = createHash('sha256');
  for (const item of events) hash.update(`${item.tenant_id}\u0000${item.event.idempotency_key}\u0002${jobEventContentKey(item)}\u0001`);
  return `batch-${hash.digest('hex').slice(0, 40)}`;
}
