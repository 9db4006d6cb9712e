import type { Logger } from '@metering/platform';
import { JOBS, QUEUES, parseUsageAlertJobData } from '@metering/usage';
import type { JobDefinition } from './job-definition';
import { validJobData } from './job-data';

export interface UsageAlertDependencies {
  logger: Logger;
}

/**
 * Default consumer of `usage-alerts`: logs the alert, so the queue never grows without bound.
 * A notification service that consumes the queue itself runs the workers with
 * WORKER_QUEUES=usage-events,usage-maintenance.
 */
export const usageAlertJob: JobDefinition<typeof JOBS.usageAlert, UsageAlertDependencies> = {
  name: JOBS.usageAlert,
  queue: QUEUES.usageAlerts,
  create: ({ logger }) => async (job) => {
    const alert = validJobData(job, parseUsageAlertJobData(job.data));
    logger.info('usage alert', { ...alert });
    return { delivered: 'log' };
  },
};
