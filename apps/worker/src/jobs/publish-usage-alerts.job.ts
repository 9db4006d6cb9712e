import { JOBS, QUEUES, parseMaintenanceJobData } from '@metering/usage';
import type { UsageAlertOutbox } from '@metering/usage';
import type { JobDefinition } from './job-definition';
import { validJobData } from './job-data';

export interface PublishUsageAlertsDependencies {
  outbox: UsageAlertOutbox;
}

/**
 * Every minute (`CRON_PUBLISH_ALERTS`): hands to the `usage-alerts` queue the alerts that were
 * stored but never handed over (the outbox's sweep: grace period, paging, marking).
 */
export const publishUsageAlertsJob: JobDefinition<typeof JOBS.publishUsageAlerts, PublishUsageAlertsDependencies> = {
  name: JOBS.publishUsageAlerts,
  queue: QUEUES.usageMaintenance,
  create: ({ outbox }) => async (job) => {
    validJobData(job, parseMaintenanceJobData(job.data, 'trigger only'));
    return outbox.publishUnpublished();
  },
};
