import { JOBS, QUEUES, UsageReconciliationService } from '@metering/usage';
import type { MaintenanceJobData } from '@metering/usage';
import type { JobDefinition } from './job-definition';

/** Daily recount of current and just-closed counters from the event ledger. */
export const reconcileUsageCountersJob: JobDefinition<typeof JOBS.reconcileUsageCounters> = {
  name: JOBS.reconcileUsageCounters,
  queue: QUEUES.usageMaintenance,
  create: (services) => async (job) => {
    const data = (job.data ?? {}) as MaintenanceJobData;
    const summary = await new UsageReconciliationService(services.dataSource, {
      logger: services.logger,
      clock: services.clock,
    }).reconcile({ tenantId: data.tenant_id, dryRun: data.dry_run === true });
    // The full list of drifted counters is in reconciliation_runs; keep the job result small.
    const { drifts: _drifts, ...result } = summary;
    return result;
  },
};
