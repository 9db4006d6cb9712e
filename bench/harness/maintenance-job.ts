import { Queue, QueueEvents } from 'bullmq';
import { createRedisConnection } from '@metering/platform';
import { QUEUES } from '@metering/usage';
import type { JobName, MaintenanceJobData } from '@metering/usage';
import type { BenchEnvironment } from './bench-environment';

/**
 * Runs one maintenance job in the running worker, as an operator or the scheduler would start
 * it, and returns how long it took from enqueue to completion and what it returned.
 */
export async function runMaintenanceJob(
  env: BenchEnvironment,
  name: JobName,
  data: MaintenanceJobData,
  timeoutMs: number,
): Promise<{ ms: number; result: unknown }> {
  const connection = createRedisConnection(env.services.redisUrl, 'worker');
  const queue = new Queue(QUEUES.usageMaintenance, { connection, prefix: env.queuePrefix });
  const events = new QueueEvents(QUEUES.usageMaintenance, { connection: connection.duplicate(), prefix: env.queuePrefix });
  try {
    await events.waitUntilReady();
    const started = Date.now();
    const job = await queue.add(name, data, { attempts: 1, removeOnComplete: true });
    const result = await job.waitUntilFinished(events, timeoutMs);
    return { ms: Date.now() - started, result };
  } finally {
    await events.close();
    await queue.close();
    await connection.quit();
  }
}
