import type { JobsOptions } from 'bullmq';
import type { UsageAlertJobData } from '../queue/usage-alert-job';

/** One `usage-alert` job as the outbox hands it over. */
export interface AlertQueueJob {
  /** Derived from the alert row's id: handing one alert over twice adds one job while it is kept. */
  jobId: string;
  data: UsageAlertJobData;
  options: Omit<JobsOptions, 'jobId'>;
}

/**
 * Where the alert outbox hands alerts over: the `usage-alerts` queue. The worker implements it
 * with a BullMQ Queue; libs/usage only describes what it needs.
 */
export interface AlertQueue {
  /** Adds all of `jobs` (`usage-alert` jobs), or throws having added possibly some of them. */
  addAlerts(jobs: readonly AlertQueueJob[]): Promise<void>;
}
