import { UnrecoverableError } from 'bullmq';
import { JOBS, QUEUES, isUsageError, occurredAtWindow } from '@metering/usage';
import type { JobName } from '@metering/usage';
import { InvalidTrackJobError } from '../tracking/track-event-batcher';
import { trackInputsOf } from '../tracking/track-job-input';
import type { JobDefinition, JobHandler, WorkerServices } from './job-definition';

function createTrackHandler(services: WorkerServices): JobHandler {
  const window = occurredAtWindow(services.config.usage);
  return async (job) => {
    const { events, enqueuedAt } = trackInputsOf(job, window, services.clock);
    try {
      return await services.trackBatcher.submit(events, enqueuedAt);
    } catch (error) {
      // Bad input stays bad: fail now, keep the job in "failed" with the reason. Anything else
      // (Postgres or Redis away) is thrown as is, so BullMQ retries it with backoff.
      if (error instanceof InvalidTrackJobError || isUsageError(error)) throw new UnrecoverableError(error.message);
      throw error;
    }
  };
}

function trackJob<N extends JobName>(name: N): JobDefinition<N> {
  return { name, queue: QUEUES.usageEvents, create: createTrackHandler };
}

/** One event reported by an agent service. */
export const trackEventJob = trackJob(JOBS.trackEvent);

/** Up to 1,000 events reported together; counted together, failed together. */
export const trackEventsJob = trackJob(JOBS.trackEvents);
