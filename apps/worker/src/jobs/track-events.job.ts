import { UnrecoverableError } from 'bullmq';
import type { Clock } from '@metering/platform';
import { JOBS, QUEUES, isUsageError } from '@metering/usage';
import type { JobName, OccurredAtWindow } from '@metering/usage';
import { trackInputsOf } from '../tracking/track-job-input';
import type { TrackEventBatcher } from '../tracking/track-event-batcher';
import type { JobDefinition, JobHandler } from './job-definition';

export interface TrackEventsDependencies {
  trackBatcher: TrackEventBatcher;
  /** How far from the worker's "now" an event's occurred_at may lie (re-checked here with its clock). */
  window: OccurredAtWindow;
  clock: Clock;
}

function createTrackHandler(services: TrackEventsDependencies): JobHandler {
  return async (job) => {
    const { events, deadLetters, enqueuedAt } = trackInputsOf(job, services.window, services.clock);
    try {
      return await services.trackBatcher.submit(events, enqueuedAt, deadLetters);
    } catch (error) {
      // Bad input stays bad: fail now, keep the job in "failed" with the reason. Anything else
      // (Postgres or Redis away) is thrown as is, so BullMQ retries it with backoff.
      if (isUsageError(error)) throw new UnrecoverableError(error.message);
      throw error;
    }
  };
}

function trackJob<N extends JobName>(name: N): JobDefinition<N, TrackEventsDependencies> {
  return { name, queue: QUEUES.usageEvents, create: createTrackHandler };
}

/** One event reported by an agent service. */
export const trackEventJob = trackJob(JOBS.trackEvent);

/** Up to 1,000 events reported together; counted together, failed together. */
export const trackEventsJob = trackJob(JOBS.trackEvents);
