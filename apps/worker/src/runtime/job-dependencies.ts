import type { Queue } from 'bullmq';
import type { DataSource } from 'typeorm';
import { createOverageReporter, oldestUnsentClosedPeriodEnd } from '@metering/billing';
import type { Clock, Logger, RedisClient, WorkerConfig } from '@metering/platform';
import {
  JOBS,
  QUEUES,
  UsageAlertOutbox,
  UsageAlertsService,
  UsageEventPartitions,
  UsageReconciliationService,
  UsageRolloverService,
  UsageTracker,
  occurredAtWindow,
} from '@metering/usage';
import type { QueueName } from '@metering/usage';
import type { JobDependencies } from '../jobs/job-registry';
import { TrackEventBatcher } from '../tracking/track-event-batcher';
import { bullmqAlertQueue } from './bullmq-alert-queue';

export interface JobDependencySources {
  config: WorkerConfig;
  logger: Logger;
  clock: Clock;
  dataSource: DataSource;
  /** The worker's Redis connection (state shared by all workers, e.g. the Stripe circuit breaker). */
  redis: RedisClient;
  /** One Queue per queue name, on the worker's connection and prefix. */
  queues: ReadonlyMap<QueueName, Queue>;
}

/**
 * Builds every job's dependencies once per runtime: each service exists once, and each job gets
 * only the parts it uses. Constructing them connects to nothing; handlers are created only for
 * the queues the process serves.
 */
export function buildJobDependencies({ config, logger, clock, dataSource, redis, queues }: JobDependencySources): JobDependencies {
  const queue = (name: QueueName): Queue => queues.get(name)!;
  const outbox = new UsageAlertOutbox(
    new UsageAlertsService(dataSource, { trialLimits: config.usage.trialLimits, logger }),
    bullmqAlertQueue(queue(QUEUES.usageAlerts)),
    { logger },
  );
  // A few seconds of memory of metered tenants spares a Postgres round trip per micro-batch.
  const tracker = new UsageTracker(dataSource, { logger, clock, billingStateCacheMs: 5000, invoiceGraceSeconds: config.usage.invoiceGraceSeconds });
  const trackBatcher = new TrackEventBatcher({
    tracker,
    logger,
    batchSize: config.worker.batchSize,
    batchWaitMs: config.worker.batchWaitMs,
    maxCommitsInFlight: config.worker.commitsInFlight,
    onCommitted: (counters) => outbox.raise(counters),
  });
  const track = { trackBatcher, window: occurredAtWindow(config.usage), clock };
  const rollover = new UsageRolloverService(dataSource, { logger, clock });
  const reporter = createOverageReporter(config, { dataSource, redis, logger, clock });
  return {
    [JOBS.trackEvent]: track,
    [JOBS.trackEvents]: track,
    [JOBS.resetUsageCounters]: {
      rollover,
      requestOverageReport: async (data) => {
        await queue(QUEUES.usageMaintenance).add(JOBS.reportOverageToStripe, data);
      },
    },
    [JOBS.reconcileUsageCounters]: { reconciliation: new UsageReconciliationService(dataSource, { logger, clock, concurrency: config.worker.reconcileConcurrency }) },
    [JOBS.reportOverageToStripe]: { reporter, logger },
    [JOBS.reconcileStripeTotals]: { reporter },
    [JOBS.closeBillingPeriods]: { rollover, reporter },
    [JOBS.usageAlert]: { logger },
    [JOBS.publishUsageAlerts]: { outbox },
    [JOBS.maintainUsageEventPartitions]: {
      partitions: new UsageEventPartitions(dataSource, {
        logger,
        clock,
        ...config.eventRetention,
        oldestUnreportedPeriodEnd: (now) => oldestUnsentClosedPeriodEnd(dataSource, now),
      }),
    },
  };
}
