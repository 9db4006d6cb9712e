import type { Job, JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import type { Clock, Logger, WorkerConfig } from '@metering/platform';
import type { JobName, NewUsageAlert, QueueName, UsageAlertsService } from '@metering/usage';
import type { TrackEventBatcher } from '../tracking/track-event-batcher';

/** What job handlers may use; built once per worker runtime. */
export interface WorkerServices {
  config: WorkerConfig;
  logger: Logger;
  clock: Clock;
  dataSource: DataSource;
  /** The worker's Redis connection (state shared by all workers, e.g. the Stripe circuit breaker). */
  redis: Redis;
  trackBatcher: TrackEventBatcher;
  /** Adds a job to one of the system's queues (same prefix and connection as the workers). */
  enqueue(queue: QueueName, name: JobName, data: unknown, options?: JobsOptions): Promise<void>;
  alerts: UsageAlertsService;
  /**
   * Hands stored alerts to the `usage-alerts` queue (one job per alert, its id derived from the
   * row's, so handing one over twice while its job is kept adds nothing) and marks them published.
   */
  publishAlerts(alerts: readonly NewUsageAlert[]): Promise<void>;
}

export type JobHandler = (job: Job) => Promise<unknown>;

/** One job name, the queue it runs on, and how to build its (thin) handler. */
export interface JobDefinition<N extends JobName = JobName> {
  name: N;
  queue: QueueName;
  create(services: WorkerServices): JobHandler;
}
