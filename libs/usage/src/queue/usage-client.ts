import { Queue } from 'bullmq';
import type { JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { MAX_EVENTS_PER_BATCH, occurredAtError } from '../domain/event-rules';
import type { OccurredAtWindow } from '../domain/event-rules';
import { ValidationFailedError } from '../domain/usage-errors';
import type { FieldError } from '../domain/usage-errors';
import { parseTrackEvent, toTrackEventDto } from '../dto/track-event.dto';
import type { TrackEventInput } from '../dto/track-event.dto';
import { deriveIdempotencyKey } from '../tracking/idempotency-key';
import { JOBS, QUEUES } from './queue-names';
import { trackEventJobId, trackEventsJobId } from './track-job';
import type { TrackEventJobData, TrackEventsJobData } from './track-job';
import { isUuid } from '@metering/platform';


/** Retries with backoff for transient failures; finished jobs trimmed, failed ones kept to inspect. */
export const TRACK_JOB_OPTIONS: JobsOptions = {
  attempts: 12,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 3600, count: 100_000 },
  removeOnFail: { age: 14 * 24 * 3600 },
};

export interface UsageClientOptions {
  /** A producer connection (fail fast while Redis is away): `createRedisConnection(url, 'producer')`. */
  redis: Redis;
  /** BullMQ prefix; must match the workers' QUEUE_PREFIX. */
  prefix?: string;
  window?: OccurredAtWindow;
  clock?: () => Date;
}

export interface TrackAcceptance {
  accepted: number;
  jobIds: string[];
}

/** The producer agent services use to report work: validates, then enqueues for the workers. */
export interface UsageClient {
  track(event: TrackEventInput): Promise<TrackAcceptance>;
  trackMany(events: readonly TrackEventInput[]): Promise<TrackAcceptance>;
  /** Same as trackMany for one tenant, from wire-shaped (snake_case) events; used by the HTTP API. */
  trackWire(tenantId: string, events: readonly unknown[]): Promise<TrackAcceptance>;
  close(): Promise<void>;
}

/**
 * Creates the producer client. Every event is validated before anything is enqueued; one bad
 * event rejects the call with a ValidationFailedError naming it, and nothing is enqueued.
 */
export function createUsageClient(options: UsageClientOptions): UsageClient {
  const queue = new Queue(QUEUES.usageEvents, {
    connection: options.redis,
    prefix: options.prefix ?? '{metering}',
    defaultJobOptions: TRACK_JOB_OPTIONS,
  });
  const window = options.window ?? { maxAgeDays: 35, maxFutureSeconds: 300 };
  const clock = options.clock ?? (() => new Date());

  function toJobEvents(items: ReadonlyArray<{ tenantId: string; raw: unknown }>): TrackEventJobData[] {
    if (items.length === 0) throw new ValidationFailedError([{ field: 'events', message: 'at least one event is required' }]);
    if (items.length > MAX_EVENTS_PER_BATCH) {
      throw new ValidationFailedError([{ field: 'events', message: `at most ${MAX_EVENTS_PER_BATCH} events per request` }]);
    }
    const now = clock();
    const errors: FieldError[] = [];
    const jobs: TrackEventJobData[] = [];
    items.forEach(({ tenantId: given, raw }, index) => {
      const prefix = items.length > 1 ? `events[${index}].` : '';
      if (typeof given !== 'string' || !isUuid(given)) errors.push({ field: `${prefix}tenant_id`, message: 'tenant_id must be a UUID' });
      // One tenant however its UUID is capitalised: job ids and derived keys use the lower-case form.
      const tenantId = typeof given === 'string' ? given.toLowerCase() : given;
      const parsed = parseTrackEvent(raw, prefix);
      if (!parsed.ok) {
        errors.push(...parsed.errors);
        return;
      }
      if (parsed.event.occurredAt !== undefined) {
        const timeError = occurredAtError(new Date(parsed.event.occurredAt), now, window, prefix);
        if (timeError) errors.push(timeError);
      }
      const event = toTrackEventDto(parsed.event);
      event.idempotency_key ??= deriveIdempotencyKey(tenantId, event.agent, event.action_type, event.resource_id);
      jobs.push({ tenant_id: tenantId, event: event as TrackEventJobData['event'], enqueued_at: now.getTime() });
    });
    if (errors.length > 0) throw new ValidationFailedError(errors);
    return jobs;
  }

  async function enqueue(jobs: TrackEventJobData[]): Promise<TrackAcceptance> {
    if (jobs.length === 1) {
      const job = jobs[0]!;
      const jobId = trackEventJobId(job.tenant_id, job.event.idempotency_key);
      await queue.add(JOBS.trackEvent, job, { jobId });
      return { accepted: 1, jobIds: [jobId] };
    }
    const events = jobs.map(({ tenant_id, event }) => ({ tenant_id, event }));
    const data: TrackEventsJobData = { events, enqueued_at: jobs[0]!.enqueued_at };
    const jobId = trackEventsJobId(events);
    await queue.add(JOBS.trackEvents, data, { jobId });
    return { accepted: jobs.length, jobIds: [jobId] };
  }

  const toRaw = (event: TrackEventInput): { tenantId: string; raw: unknown } => ({
    tenantId: event.tenantId,
    raw: toTrackEventDto(event),
  });

  // async, so a validation error is a rejected promise (never a synchronous throw) for callers using .catch().
  return {
    track: async (event) => enqueue(toJobEvents([toRaw(event)])),
    trackMany: async (events) => enqueue(toJobEvents(events.map(toRaw))),
    trackWire: async (tenantId, events) => enqueue(toJobEvents(events.map((raw) => ({ tenantId, raw })))),
    close: () => queue.close(),
  };
}
