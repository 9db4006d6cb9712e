import { JOBS, QUEUES, parseMaintenanceJobData } from '@metering/usage';
import type { UsageReconciliationService } from '@metering/usage';
import type { JobDefinition } from './job-definition';
import { validJobData } from './job-data';

export interface ReconcileUsageCountersDependencies {
  reconciliation: UsageReconciliationService;
}

/** Daily recount, from the event ledger, of the counters of every period that can still be billed. */
export const reconcileUsageCountersJob: JobDefinition<typeof JOBS.reconcileUsageCounters, ReconcileUsageCountersDependencies> = {
  name: JOBS.reconcileUsageCounters,
  queue: QUEUES.usageMaintenance,
  create: ({ reconciliation }) => async (job) => {
    const data = validJobData(job, parseMaintenanceJobData(job.data, 'with tenant filters'));
    const summary = await reconciliation.reconcile({ tenantId: data.tenant_id, dryRun: data.dry_run === true });
    // The full list of drifted counters is in reconciliation_runs; keep the job result small.
    const { drifts: _drifts, ...result } = summary;
    return result;
  },
};
