import type { OverageReporter } from '@metering/billing';
import { JOBS, QUEUES, parseMaintenanceJobData } from '@metering/usage';
import type { JobDefinition } from './job-definition';
import { validJobData } from './job-data';

export interface ReconcileStripeTotalsDependencies {
  reporter: OverageReporter;
}

/**
 * Compares Stripe's meter event summaries with the ledger (daily, CRON_RECONCILE_STRIPE): lost
 * meter events are re-sent, a Stripe total above the ledger is alerted, never changed. The work is
 * in libs/billing's StripeTotalsReconciler; each comparison is a row in stripe_reconciliation_checks.
 */
export const reconcileStripeTotalsJob: JobDefinition<typeof JOBS.reconcileStripeTotals, ReconcileStripeTotalsDependencies> = {
  name: JOBS.reconcileStripeTotals,
  queue: QUEUES.usageMaintenance,
  create: ({ reporter }) => async (job) => {
    // Every tenant: the data only says who started it; anything else is refused.
    validJobData(job, parseMaintenanceJobData(job.data, 'trigger only'));
    const result = await reporter.reconcileWithStripe();
    return { status: result.status, totals: result.totals };
  },
};
