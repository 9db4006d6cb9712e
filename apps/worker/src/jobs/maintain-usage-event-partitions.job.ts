import { JOBS, QUEUES, parseMaintenanceJobData } from '@metering/usage';
import type { UsageEventPartitions } from '@metering/usage';
import type { JobDefinition } from './job-definition';
import { validJobData } from './job-data';

export interface MaintainUsageEventPartitionsDependencies {
  partitions: UsageEventPartitions;
}

/**
 * Daily (CRON_MAINTAIN_PARTITIONS): the monthly partitions of usage_events exist ahead of time,
 * the default partition is emptied into them, and months past USAGE_EVENTS_RETENTION_MONTHS that
 * no open or unreported period needs are dropped. Safe to re-run: each step checks what exists.
 */
export const maintainUsageEventPartitionsJob: JobDefinition<typeof JOBS.maintainUsageEventPartitions, MaintainUsageEventPartitionsDependencies> = {
  name: JOBS.maintainUsageEventPartitions,
  queue: QUEUES.usageMaintenance,
  create: ({ partitions }) => async (job) => {
    validJobData(job, parseMaintenanceJobData(job.data, 'trigger only'));
    return partitions.maintain();
  },
};
