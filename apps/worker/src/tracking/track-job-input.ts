import { UnrecoverableError } from 'bullmq';
import type { Job } from 'bullmq';
import { JOBS } from '@metering/usage';
import type { TrackEventInput, TrackEventJobData, TrackEventsJobData } from '@metering/usage';

type JobEvent = Pick<TrackEventJobData, 'tenant_id' | 'event'>;

function isJobEvent(value: unknown): value is JobEvent {
  const item = value as Partial<JobEvent> | null;
  return typeof item === 'object' && item !== null && typeof item.tenant_id === 'string' && typeof item.event === 'object' && item.event !== null;
}

/**
 * The tracker inputs of a `track-event` / `track-events` job. An event without `occurred_at`
 * happened when it was enqueued, not when a (possibly retried) worker gets to it, so it lands
 * in the period the agent reported it in.
 */
export function trackInputsOf(job: Job): { inputs: TrackEventInput[]; enqueuedAt: number } {
  const data = job.data as Partial<TrackEventJobData & TrackEventsJobData>;
  const enqueuedAt = typeof data.enqueued_at === 'number' ? data.enqueued_at : job.timestamp;
  const items: unknown[] = job.name === JOBS.trackEvents ? (Array.isArray(data.events) ? data.events : []) : [data];
  if (items.length === 0 || !items.every(isJobEvent)) {
    throw new UnrecoverableError(`job data is not a valid ${job.name} payload`);
  }
  // One Date for the job's events: the tracker takes it as is (no ISO text to format and parse back).
  const fallbackOccurredAt = new Date(enqueuedAt);
  const inputs = items.map(({ tenant_id, event }): TrackEventInput => ({
    tenantId: tenant_id,
    agent: event.agent,
    actionType: event.action_type,
    resourceId: event.resource_id,
    quantity: event.quantity,
    idempotencyKey: event.idempotency_key,
    occurredAt: event.occurred_at ?? fallbackOccurredAt,
    metadata: event.metadata,
  }));
  return { inputs, enqueuedAt };
}
