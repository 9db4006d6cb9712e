import { JOBS, QUEUES, UsageRolloverService } from '@metering/usage';
import type { MaintenanceJobData } from '@metering/usage';
import type { JobDefinition } from './job-definition';

/**
 * Daily roll-over: subscriptions whose period ended start the next one with zeroed counters.
 * When any rolled, the overage of the periods just closed is reported to Stripe right away
 * rather than at the next daily report, so the invoice is finalized with it.
 */
export const resetUsageCountersJob: JobDefinition<typeof JOBS.resetUsageCounters> = {
  name: JOBS.resetUsageCounters,
  queue: QUEUES.usageMaintenance,
  create: (services) => async () => {
    const summary = await new UsageRolloverService(services.dataSource, {
      logger: services.logger,
      clock: services.clock,
    }).rollOver();
    if (summary.subscriptionsRolled > 0) {
      const data: MaintenanceJobData = { trigger: 'roll-over' };
      await services.enqueue(QUEUES.usageMaintenance, JOBS.reportOverageToStripe, data);
    }
    return summary;
  },
};
