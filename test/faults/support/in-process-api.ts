import { Queue } from 'bullmq';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import { createApp } from '@metering/api';
import { createLogger, createRedisConnection, systemClock, waitForRedis } from '@metering/platform';
import { testConfig, uniqueQueuePrefix } from '@metering/testing';
import type { TestDatabase } from '@metering/testing';
import { ALL_QUEUES, QUEUES, createUsageClient, occurredAtWindow } from '@metering/usage';
import { createWorkerRuntime } from '@metering/worker';
import type { WorkerRuntime } from '@metering/worker';

/** The API app in this process (supertest), over a real database and Redis, with its own prefixes. */
export interface InProcessApi {
  app: Express;
  eventsQueue: Queue;
  prefix: string;
  /** A worker runtime on the same queues (started by `startWorker`). */
  startWorker(): Promise<WorkerRuntime>;
  close(): Promise<void>;
}

/**
 * Builds the app as main.ts does (createApp with a fail-fast producer connection), in-process so
 * property-based tests can send thousands of requests quickly.
 */
export async function inProcessApi(db: TestDatabase, env: Record<string, string> = {}): Promise<InProcessApi> {
  const prefix = uniqueQueuePrefix();
  const config = testConfig(db.url, { QUEUE_PREFIX: prefix, ...env });
  const redis: Redis = createRedisConnection(config.redis.url, 'producer');
  await waitForRedis(redis);
  const usageClient = createUsageClient({ redis, prefix, window: occurredAtWindow(config.usage) });
  const queues = ALL_QUEUES.map((name) => new Queue(name, { connection: redis, prefix }));
  const logger = createLogger({ level: 'silent', json: true, service: 'faults-api' });
  const app = createApp({
    config,
    dataSource: db.dataSource,
    redis,
    usageClient,
    logger,
    clock: systemClock,
    queues,
    rateLimitPrefix: `rl:${prefix}:`,
  });
  let worker: WorkerRuntime | undefined;
  return {
    app,
    prefix,
    eventsQueue: queues.find((queue) => queue.name === QUEUES.usageEvents)!,
    startWorker: async () => {
      worker = createWorkerRuntime({ config: testConfig(db.url, { QUEUE_PREFIX: prefix, WORKER_METRICS_PORT: '0', ...env }), logger, exit: () => undefined });
      await worker.start();
      return worker;
    },
    close: async () => {
      await worker?.stop('test finished');
      await usageClient.close();
      for (const queue of queues) await queue.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** Jobs in the events queue in any state: a rejected request must not change this. */
export async function jobsEverEnqueued(queue: Queue): Promise<number> {
  const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed');
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}
