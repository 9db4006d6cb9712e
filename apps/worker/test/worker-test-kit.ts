import type { Redis } from 'ioredis';
import { createRedisConnection } from '@metering/platform';
import type { Clock, WorkerConfig } from '@metering/platform';
import { testConfig, uniqueQueuePrefix } from '@metering/testing';
import { createUsageClient, occurredAtWindow } from '@metering/usage';
import type { UsageClient } from '@metering/usage';
import { createWorkerRuntime } from '../src/create-worker-runtime';
import type { WorkerRuntime } from '../src/create-worker-runtime';

/** A worker runtime in this process, with its own queue prefix and a random metrics port. */
export interface TestWorker {
  runtime: WorkerRuntime;
  config: WorkerConfig;
  client: UsageClient;
  metricsUrl: (path: string) => string;
  close(): Promise<void>;
}

export async function startTestWorker(
  databaseUrl: string,
  overrides: Record<string, string> = {},
  clock?: Clock,
): Promise<TestWorker> {
  const config = testConfig(databaseUrl, { WORKER_METRICS_PORT: '0', WORKER_BATCH_WAIT_MS: '5', SHUTDOWN_TIMEOUT_MS: '10000', ...overrides });
  const runtime = createWorkerRuntime({ config, clock, dependencyRetryMs: 100, exit: () => undefined });
  await runtime.start();
  const producer: Redis = createRedisConnection(config.redis.url, 'producer');
  const client = createUsageClient({ redis: producer, prefix: config.queuePrefix, shards: config.usageQueueShards, window: occurredAtWindow(config.usage), clock });
  let closing: Promise<void> | undefined;
  return {
    runtime,
    config,
    client,
    metricsUrl: (path) => `http://127.0.0.1:${runtime.metricsPort}${path}`,
    close: () => {
      closing ??= (async () => {
        await client.close();
        await producer.quit().catch(() => producer.disconnect());
        await runtime.stop('test finished');
      })();
      return closing;
    },
  };
}

export { eventually } from '@metering/testing';

/** One test worker for the whole file (its own queue prefix): started before its tests, stopped after them. */
export function useTestWorker(db: { current: { url: string } }, overrides: Record<string, string> = {}): { readonly current: TestWorker } {
  let worker: TestWorker | undefined;
  beforeAll(async () => {
    worker = await startTestWorker(db.current.url, { QUEUE_PREFIX: uniqueQueuePrefix(), ...overrides });
  });
  afterAll(async () => {
    await worker?.close();
  });
  return {
    get current(): TestWorker {
      if (!worker) throw new Error('the test worker is not started yet (use it inside a test)');
      return worker;
    },
  };
}
