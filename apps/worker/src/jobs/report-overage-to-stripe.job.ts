import type { OverageReporter } from '@metering/billing';
import type { Logger } from '@metering/platform';
import { JOBS, QUEUES, parseMaintenanceJobData } from '@metering/usage';
import type { JobDefinition } from './job-definition';
import { validJobData } from './job-data';

export interface ReportOverageToStripeDependencies {
  reporter: OverageReporter;
  logger: Logger;
}

/**
 * Reports overage to Stripe Billing meters (daily, and right after a roll-over closes periods).
 * The work is in libs/billing's OverageReporter; rows it cannot send now (circuit open, Stripe
 * down) stay pending in the ledger and go out on the next run, so the job itself still completes.
 */
export const reportOverageToStripeJob: JobDefinition<typeof JOBS.reportOverageToStripe, ReportOverageToStripeDependencies> = {
  name: JOBS.reportOverageToStripe,
  queue: QUEUES.usageMaintenance,
  create: ({ reporter, logger }) => {
    if (!reporter.enabled) logger.warn('Stripe overage reporting is disabled: STRIPE_SECRET_KEY is not set');
    return async (job) => {
      const data = validJobData(job, parseMaintenanceJobData(job.data, 'with tenant filters'));
      const result = await reporter.run({ tenantId: data.tenant_id, dryRun: data.dry_run === true });
      // Per-row detail lives in stripe_usage_reports; keep the job result small.
      return { status: result.status, circuit: result.circuit, totals: result.totals };
    };
  },
};
