import type { OverageReporter } from '@metering/billing';
import { JOBS, QUEUES, parseMaintenanceJobData } from '@metering/usage';
import type { UsageRolloverService } from '@metering/usage';
import type { JobDefinition } from './job-definition';
import { validJobData } from './job-data';

export interface CloseBillingPeriodsDependencies {
  rollover: UsageRolloverService;
  reporter: OverageReporter;
}

/**
 * Every minute (CRON_CLOSE_PERIODS): subscriptions whose period has ended move to the next one,
 * and the closed periods' overage (the final one, and any delta a late event added while the
 * period's invoice is still open) goes to Stripe with a timestamp inside the closed period. A
 * period ending at any second is so closed and billed within two runs; a worker that was down
 * catches up on its first run, because both steps look at every period that ended, not at "the
 * last minute". The nightly roll-over and report stay as a safety net.
 */
export const closeBillingPeriodsJob: JobDefinition<typeof JOBS.closeBillingPeriods, CloseBillingPeriodsDependencies> = {
  name: JOBS.closeBillingPeriods,
  queue: QUEUES.usageMaintenance,
  create: ({ rollover, reporter }) => async (job) => {
    validJobData(job, parseMaintenanceJobData(job.data, 'trigger only'));
    const rolled = await rollover.rollOver();
    if (!reporter.enabled) return { rolled: rolled.subscriptionsRolled, report: 'disabled' };
    // Busy (the daily report or an operator is running): this minute is skipped, the next one reports.
    const report = await reporter.run({ closedPeriodsOnly: true, lockWaitMs: 0 });
    return { rolled: rolled.subscriptionsRolled, report: report.status, totals: report.totals };
  },
};
