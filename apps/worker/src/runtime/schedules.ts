import type { JobsOptions, Queue } from 'bullmq';
import type { SchedulesConfig } from '@metering/platform';
import { JOBS } from '@metering/usage';
import type { JobName, MaintenanceJobData } from '@metering/usage';

/** Maintenance jobs retry a few times, then stay in "failed" for an operator. */
export const MAINTENANCE_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 30_000 },
  removeOnComplete: { count: 500 },
  removeOnFail: { count: 1000 },
};

/**
 * The every-minute jobs (alert hand-over, period close): a failed run is simply the next minute's, and its completed
 * runs are not kept, so they never push the daily jobs' history out of the queue's completed list.
 */
const FREQUENT_JOB_OPTIONS: JobsOptions = { attempts: 1, removeOnComplete: true, removeOnFail: { count: 100 } };

/** Scheduler id, job, cron pattern and job options of every scheduled job. */
export function scheduledJobs(
  schedules: SchedulesConfig['schedules'],
): Array<{ id: string; name: JobName; pattern: string; opts: JobsOptions }> {
  return [
    { id: JOBS.resetUsageCounters, name: JOBS.resetUsageCounters, pattern: schedules.resetUsage, opts: MAINTENANCE_JOB_OPTIONS },
    { id: JOBS.reportOverageToStripe, name: JOBS.reportOverageToStripe, pattern: schedules.reportOverage, opts: MAINTENANCE_JOB_OPTIONS },
    { id: JOBS.reconcileUsageCounters, name: JOBS.reconcileUsageCounters, pattern: schedules.reconcileUsage, opts: MAINTENANCE_JOB_OPTIONS },
    { id: JOBS.publishUsageAlerts, name: JOBS.publishUsageAlerts, pattern: schedules.publishAlerts, opts: FREQUENT_JOB_OPTIONS },
    { id: JOBS.closeBillingPeriods, name: JOBS.closeBillingPeriods, pattern: schedules.closePeriods, opts: FREQUENT_JOB_OPTIONS },
    { id: JOBS.reconcileStripeTotals, name: JOBS.reconcileStripeTotals, pattern: schedules.reconcileStripe, opts: MAINTENANCE_JOB_OPTIONS },
    {
      id: JOBS.maintainUsageEventPartitions,
      name: JOBS.maintainUsageEventPartitions,
      pattern: schedules.maintainPartitions,
      opts: MAINTENANCE_JOB_OPTIONS,
    },
  ];
}

/**
 * Registers (or updates) every schedule on `usage-maintenance`. Idempotent: every worker runs it
 * on every boot, and a changed pattern in config replaces the old one under the same id.
 */
export async function registerSchedules(queue: Queue, schedules: SchedulesConfig['schedules']): Promise<void> {
  const data: MaintenanceJobData = { trigger: 'schedule' };
  for (const job of scheduledJobs(schedules)) {
    await queue.upsertJobScheduler(job.id, { pattern: job.pattern, tz: 'UTC' }, { name: job.name, data, opts: job.opts });
  }
}
