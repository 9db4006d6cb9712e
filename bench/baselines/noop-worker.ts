/**
 * Baseline of ingest-single: a BullMQ worker process whose jobs do nothing, on the same Redis,
 * with the same connection settings and concurrency as the project's worker. Prints `ready`.
 * Env: REDIS_URL, QUEUE_PREFIX, QUEUE_NAME, CONCURRENCY.
 */
import { Worker } from 'bullmq';
import { createRedisConnection } from '@metering/platform';

const connection = createRedisConnection(process.env.REDIS_URL!, 'worker');
const worker = new Worker(process.env.QUEUE_NAME!, async () => undefined, {
  connection,
  prefix: process.env.QUEUE_PREFIX!,
  concurrency: Number(process.env.CONCURRENCY ?? 400),
});
worker.on('error', (error) => process.stderr.write(`noop worker: ${String(error)}\n`));
void worker.waitUntilReady().then(() => process.stdout.write('ready\n'));

process.once('SIGTERM', () => {
  void worker
    .close()
    .then(() => connection.quit())
    .finally(() => process.exit(0));
});
