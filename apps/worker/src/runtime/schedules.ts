import type { JobsOptions, Queue } from 'bullmq';
import type { AppConfig } from '@metering/platform';
import { JOBS } from '@metering/usage';
import type { JobName, MaintenanceJobData } from '@metering/usage';

/** Maintenance jobs retry a few times, then stay in "failed" for an operator. */
export const MAINTENANCE_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 30_000 },
  removeOnComplete: { count: 500 },
  removeOnFail: { count: 1000 },
};

/** Scheduler id, job and cron pattern of every scheduled job. */
export function scheduledJobs(schedules: AppConfig['schedules']): Array<{ id: string; name: JobName; pattern: string }> {
  return [
    { id: JOBS.resetUsageCounters, name: JOBS.resetUsageCounters, pattern: schedules.resetUsage },
    { id: JOBS.reportOverageToStripe, name: JOBS.reportOverageToStripe, pattern: schedules.reportOverage },
    { id: JOBS.reconcileUsageCounters, name: JOBS.reconcileUsageCounters, pattern: schedules.reconcileUsage },
  ];
}

/**
 * Registers (or updates) every schedule on `usage-maintenance`. Idempotent: every worker runs it
 * on every boot, and a changed pattern in config replaces the old one under the same id.
 */
export async function registerSchedules(queue: Queue, schedules: AppConfig['schedules']): Promise<void> {
  const data: MaintenanceJobData = { trigger: 'schedule' };
  for (const job of scheduledJobs(schedules)) {
    await queue.upsertJobScheduler(job.id, { pattern: job.pattern, tz: 'UTC' }, { name: job.name, data, opts: MAINTENANCE_JOB_OPTIONS });
  }
}
