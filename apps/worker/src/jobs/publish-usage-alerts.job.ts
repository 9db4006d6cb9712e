import { JOBS, QUEUES } from '@metering/usage';
import type { JobDefinition } from './job-definition';

/** Alerts younger than this may still be being handed over by the commit that wrote them. */
export const PUBLISH_GRACE_MS = 60_000;
const PAGE = 500;

/**
 * Every minute (`CRON_PUBLISH_ALERTS`): hands to the `usage-alerts` queue the alerts that were
 * stored but never handed over (the enqueue failed, e.g. Redis refusing writes at its memory
 * limit, or the worker stopped or died in between). Page by page until none is left; each
 * page is marked published once enqueued.
 */
export const publishUsageAlertsJob: JobDefinition<typeof JOBS.publishUsageAlerts> = {
  name: JOBS.publishUsageAlerts,
  queue: QUEUES.usageMaintenance,
  create: (services) => async () => {
    let published = 0;
    for (;;) {
      const waiting = await services.alerts.unpublished(PUBLISH_GRACE_MS, PAGE);
      if (waiting.length === 0) break;
      await services.publishAlerts(waiting);
      published += waiting.length;
      if (waiting.length < PAGE) break;
    }
    if (published > 0) services.logger.warn('published usage alerts that had not reached the queue', { published });
    return { published };
  },
};
