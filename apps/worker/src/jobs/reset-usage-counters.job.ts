import { JOBS, QUEUES, parseMaintenanceJobData } from '@metering/usage';
import type { MaintenanceJobData, UsageRolloverService } from '@metering/usage';
import type { JobDefinition } from './job-definition';
import { validJobData } from './job-data';

export interface ResetUsageCountersDependencies {
  rollover: UsageRolloverService;
  /** Adds a report-overage-to-stripe job to `usage-maintenance`. */
  requestOverageReport(data: MaintenanceJobData): Promise<void>;
}

/**
 * Daily roll-over: subscriptions whose period ended start the next one with zeroed counters.
 * When any rolled, the overage of the periods just closed is reported to Stripe right away
 * rather than at the next daily report, so the invoice is finalized with it.
 */
export const resetUsageCountersJob: JobDefinition<typeof JOBS.resetUsageCounters, ResetUsageCountersDependencies> = {
  name: JOBS.resetUsageCounters,
  queue: QUEUES.usageMaintenance,
  create: ({ rollover, requestOverageReport }) => async (job) => {
    validJobData(job, parseMaintenanceJobData(job.data, 'trigger only'));
    const summary = await rollover.rollOver();
    if (summary.subscriptionsRolled > 0) await requestOverageReport({ trigger: 'roll-over' });
    return summary;
  },
};
