import { JOBS, QUEUES } from '@metering/usage';
import type { UsageAlertJobData } from '@metering/usage';
import type { JobDefinition } from './job-definition';

/**
 * Default consumer of `usage-alerts`: logs the alert, so the queue never grows without bound.
 * A notification service that consumes the queue itself runs the workers with
 * WORKER_QUEUES=usage-events,usage-maintenance.
 */
export const usageAlertJob: JobDefinition<typeof JOBS.usageAlert> = {
  name: JOBS.usageAlert,
  queue: QUEUES.usageAlerts,
  create: (services) => async (job) => {
    const alert = job.data as UsageAlertJobData;
    services.logger.info('usage alert', { ...alert });
    return { delivered: 'log' };
  },
};
