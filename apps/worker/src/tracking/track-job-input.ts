import { UnrecoverableError } from 'bullmq';
import type { Job } from 'bullmq';
import type { Clock } from '@metering/platform';
import { JOBS, ValidationFailedError, parseWireEvents } from '@metering/usage';
import type { OccurredAtWindow, TrackEventJobData, TrackEventsJobData, ValidEvent, WireEventItem } from '@metering/usage';

function isJobEvent(value: unknown): value is WireEventItem {
  const item = value as Partial<WireEventItem> | null;
  return typeof item === 'object' && item !== null && typeof item.tenant_id === 'string' && typeof item.event === 'object' && item.event !== null;
}

/**
 * The events of a `track-event` / `track-events` job, parsed with the producer's own parser (job
 * data is a wire like the HTTP body): the same rules and messages, and the occurred_at window
 * checked again against this worker's clock. An event without `occurred_at` happened when it was
 * enqueued, not when a (possibly retried) worker gets to it, so it lands in the period the agent
 * reported it in. Data that can never be counted fails the job for good (UnrecoverableError).
 */
export function trackInputsOf(job: Job, window: OccurredAtWindow, clock: Clock): { events: ValidEvent[]; enqueuedAt: number } {
  const data = job.data as Partial<TrackEventJobData & TrackEventsJobData>;
  const enqueuedAt = typeof data.enqueued_at === 'number' ? data.enqueued_at : job.timestamp;
  const items: unknown[] = job.name === JOBS.trackEvents ? (Array.isArray(data.events) ? data.events : []) : [data];
  if (items.length === 0 || !items.every(isJobEvent)) {
    throw new UnrecoverableError(`job data is not a valid ${job.name} payload`);
  }
  try {
    // One Date for the job's events without occurred_at (no ISO text to format and parse back).
    return { events: parseWireEvents(items, { now: clock(), window, occurredAtDefault: new Date(enqueuedAt) }), enqueuedAt };
  } catch (error) {
    if (error instanceof ValidationFailedError) throw new UnrecoverableError(error.message);
    throw error;
  }
}
