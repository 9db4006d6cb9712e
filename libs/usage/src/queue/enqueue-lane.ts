import { randomUUID } from 'node:crypto';
import { MAX_EVENTS_PER_BATCH } from '../domain/event-rules';
import { JOBS } from './queue-names';
import { jobEventContentKey, trackEventJobId, trackEventsJobId } from './track-job';
import type { TrackEventJobData, TrackEventsJobData } from './track-job';

/** One call's events for one shard, as the producer accepted them (same enqueued_at). */
export interface LaneCall {
  events: TrackEventJobData[];
  /** The call reported one event (track, or a batch of one): alone, it is a `track-event` job. */
  single: boolean;
}

/** A job ready for `queue.add`. */
export interface TrackJob {
  name: typeof JOBS.trackEvent | typeof JOBS.trackEvents;
  data: TrackEventJobData | TrackEventsJobData;
  jobId: string;
}

interface Waiting extends LaneCall {
  resolve: (jobId: string) => void;
  reject: (error: unknown) => void;
}

/**
 * One call alone is the job it always was: a single event, a `track-event` job whose id is the
 * event's (a re-enqueue still in Redis is absorbed there); a batch (its part in this shard), a
 * `track-events` job with the batch's id.
 * Calls coalesced into one job keep their boundaries in `calls`, so the worker commits and fails
 * each call on its own, as if each were its own job; its id is new (`calls-<uuid>`). An event of a later call that was sent
 * without occurred_at happened when that call was accepted, not at the job's enqueued_at: it
 * carries its own time.
 */
export function trackJobOf(calls: readonly LaneCall[]): TrackJob {
  if (calls.length === 1) {
    const { events, single } = calls[0]!;
    if (single) {
      const job = events[0]!;
      return { name: JOBS.trackEvent, data: job, jobId: trackEventJobId(job.tenant_id, job.event.idempotency_key, jobEventContentKey(job)) };
    }
    const items = events.map(({ tenant_id, event }) => ({ tenant_id, event }));
    return { name: JOBS.trackEvents, data: { events: items, enqueued_at: events[0]!.enqueued_at }, jobId: trackEventsJobId(items) };
  }
  const enqueuedAt = calls[0]!.events[0]!.enqueued_at;
  const items: TrackEventsJobData['events'] = [];
  for (const { events } of calls) {
    const acceptedAt = events[0]!.enqueued_at;
    if (acceptedAt === enqueuedAt) {
      for (const { tenant_id, event } of events) items.push({ tenant_id, event });
      continue;
    }
    const at = new Date(acceptedAt).toISOString(); // one call, one acceptance time
    for (const { tenant_id, event } of events) items.push({ tenant_id, event: event.occurred_at === undefined ? { ...event, occurred_at: at } : event });
  }
  const data: TrackEventsJobData = { events: items, enqueued_at: enqueuedAt, calls: calls.map(({ events }) => events.length) };
  // Which calls share a job depends on timing, so the same set never comes again: an id derived
  // from the content would absorb nothing, and hashing every event costs the producer ~1 us each.
  return { name: JOBS.trackEvents, data, jobId: `calls-${randomUUID()}` };
}

/**
 * The enqueue path of one track queue: at most `maxInFlight` adds to Redis at a time; calls that
 * arrive while they are out wait, and the next add carries every waiting call (whole calls, up to
 * MAX_EVENTS_PER_BATCH events) as one job. So a quiet producer enqueues each call at once as its
 * own job, and a busy one (many agents reporting at the same moment) pays one job, one Redis
 * script and one worker fetch per round trip instead of per event -- the batch size follows the
 * load, and no call waits longer than the adds already out. A call resolves once the job holding
 * its events is in Redis, and rejects (with every call of that job) if the add fails: it is never
 * acknowledged before it is enqueued. Calls keep their order: jobs are added in arrival order on
 * the shard's one connection.
 */
export class EnqueueLane {
  private inFlight = 0;
  private readonly waiting: Waiting[] = [];
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly add: (job: TrackJob) => Promise<void>,
    private readonly maxInFlight: number,
  ) {}

  /** Resolves with the id of the job that carries `call`'s events once that job is in Redis. */
  enqueue(call: LaneCall): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      this.waiting.push({ ...call, resolve, reject });
      this.pump();
    });
  }

  /** Resolves once nothing is waiting or being added (for close()). */
  idle(): Promise<void> {
    if (this.inFlight === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const calls = this.takeCalls();
      this.inFlight++;
      void this.send(calls).finally(() => {
        this.inFlight--;
        this.pump();
        if (this.inFlight === 0 && this.waiting.length === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
      });
    }
  }

  /** Whole calls from the front, as many as fit in one job (a call is never split). */
  private takeCalls(): Waiting[] {
    let events = this.waiting[0]!.events.length;
    let count = 1;
    while (count < this.waiting.length && events + this.waiting[count]!.events.length <= MAX_EVENTS_PER_BATCH) {
      events += this.waiting[count]!.events.length;
      count++;
    }
    return this.waiting.splice(0, count);
  }

  private async send(calls: Waiting[]): Promise<void> {
    try {
      const job = trackJobOf(calls);
      await this.add(job);
      for (const call of calls) call.resolve(job.jobId);
    } catch (error) {
      for (const call of calls) call.reject(error);
    }
  }
}
