import { UnrecoverableError } from 'bullmq';
import type { Clock } from '@metering/platform';
import { JOBS, QUEUES, isUsageError } from '@metering/usage';
import type { JobName, OccurredAtWindow } from '@metering/usage';
import { trackInputsOf } from '../tracking/track-job-input';
import type { TrackInputGroup } from '../tracking/track-job-input';
import type { TrackEventBatcher, TrackJobResult } from '../tracking/track-event-batcher';
import type { JobDefinition, JobHandler } from './job-definition';

export interface TrackEventsDependencies {
  trackBatcher: TrackEventBatcher;
  /** How far from the worker's "now" an event's occurred_at may lie (re-checked here with its clock). */
  window: OccurredAtWindow;
  clock: Clock;
}

function createTrackHandler(services: TrackEventsDependencies): JobHandler {
  return async (job) => {
    const { groups, enqueuedAt } = trackInputsOf(job, services.window, services.clock);
    try {
      if (groups.length === 1) return await services.trackBatcher.submit(groups[0]!.events, enqueuedAt, groups[0]!.deadLetters);
      return await submitCalls(services.trackBatcher, groups, enqueuedAt);
    } catch (error) {
      // Bad input stays bad: fail now, keep the job in "failed" with the reason. Anything else
      // (Postgres or Redis away) is thrown as is, so BullMQ retries it with backoff.
      if (isUsageError(error)) throw new UnrecoverableError(error.message);
      throw error;
    }
  };
}

/**
 * A coalesced job's calls, each submitted as if it were its own job: each is committed (or
 * refused as poison) on its own, so one call's bad data never holds the others back. When any
 * failed, the job fails with that error once the rest are committed; its retry finds those
 * stored (duplicates, counted nothing twice) and tries the failed ones again.
 */
async function submitCalls(batcher: TrackEventBatcher, groups: readonly TrackInputGroup[], enqueuedAt: number): Promise<TrackJobResult> {
  const settled = await Promise.allSettled(groups.map((group) => batcher.submit(group.events, enqueuedAt, group.deadLetters)));
  const total: TrackJobResult = { recorded: 0, duplicates: 0, deadLettered: 0 };
  for (const outcome of settled) {
    if (outcome.status === 'rejected') throw outcome.reason;
    total.recorded += outcome.value.recorded;
    total.duplicates += outcome.value.duplicates;
    total.deadLettered += outcome.value.deadLettered;
  }
  return total;
}

function trackJob<N extends JobName>(name: N): JobDefinition<N, TrackEventsDependencies> {
  return { name, queue: QUEUES.usageEvents, create: createTrackHandler };
}

/** One event reported by an agent service. */
export const trackEventJob = trackJob(JOBS.trackEvent);

/** Up to 1,000 events: one call's (counted together, failed together), or several coalesced calls' (each on its own). */
export const trackEventsJob = trackJob(JOBS.trackEvents);
