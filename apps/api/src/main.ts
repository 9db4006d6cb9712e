/**
 * Composition root of the API process (`npm run start:api`): loads config, opens Postgres and a
 * fail-fast Redis producer connection, builds the app, listens, and shuts down in order on
 * SIGTERM/SIGINT: HTTP first, then queues, then connections, within SHUTDOWN_TIMEOUT_MS.
 */
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Queue } from 'bullmq';
import type { DataSource } from 'typeorm';
import { ReadReplicaRouter, ShutdownManager, createLogger, createRedisClient, loadApiConfig, systemClock, waitForRedis } from '@metering/platform';
import type { ApiConfig, Logger } from '@metering/platform';
import { createMeteringDataSource } from '@metering/billing';
import { UsageQuotaService, createUsageClient, deploymentQueues, occurredAtWindow, replicaAcknowledgement } from '@metering/usage';
import { createApp } from './app';
import { closeServer } from './http/close-server';
import { createExpressServer } from './http/express-server';
import type { RedisMemoryGuard } from './rate-limit/redis-memory-guard';
import { BULL_BOARD_PATH } from './routes/bull-board.router';
import { createMetricsApp } from './routes/metrics.router';

const WEB_DIST_DIR = path.resolve(__dirname, '../../web/dist');

/** Logs a repeating error (Redis away) once per interval instead of on every reconnect attempt. */
function throttled(log: (message: string) => void, intervalMs = 10_000): (message: string) => void {
  let last = 0;
  return (message) => {
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    log(message);
  };
}

/**
 * DATABASE_READ_URL: the replica the lag-tolerant reads go to while it is fit for them. The API
 * starts whether or not it answers (reads stay on the primary until it does).
 */
async function startReadReplica(config: ApiConfig, primary: DataSource, logger: Logger): Promise<ReadReplicaRouter | null> {
  const { url, maxLagMs, checkMs } = config.databaseRead;
  if (!url) return null;
  const router = new ReadReplicaRouter({
    primary,
    replica: createMeteringDataSource(url, config.database.poolSize, 'usage-api-read'),
    replicaUrl: url,
    maxLagMs,
    checkMs,
    logger,
  });
  await router.start();
  return router;
}

async function main(): Promise<void> {
  const config = loadApiConfig();
  const logger = createLogger({ level: config.logLevel, json: config.env === 'production', service: 'api' });
  const shutdown = new ShutdownManager(logger, config.shutdownTimeoutMs);
  shutdown.listen();
  process.on('unhandledRejection', (reason) => logger.error('unhandled rejection', { error: String(reason) }));

  const dataSource = createMeteringDataSource(config.database.url, config.database.poolSize, 'usage-api');
  await dataSource.initialize();
  shutdown.register('postgres', 'connections', () => dataSource.destroy());
  const readReplica = await startReadReplica(config, dataSource, logger);
  if (readReplica) shutdown.register('postgres-read-replica', 'connections', () => readReplica.stop());

  // Auto-pipelining sends the commands of concurrent requests (rate-limit scripts, enqueues) in one
  // write per event-loop turn: a round trip per request each was half the API's CPU under load.
  // On a Redis Cluster (REDIS_CLUSTER_NODES) the same, per master.
  const redis = createRedisClient(config.redis, 'producer', { enableAutoPipelining: true });
  const redisWarning = throttled((message) => logger.warn('redis connection error', { error: message }));
  redis.on('error', (error: Error) => redisWarning(error.message));
  shutdown.register('redis', 'connections', () => redis.quit().catch(() => redis.disconnect()));
  await waitForRedis(redis, 10_000).catch(() => logger.warn('Redis is not ready yet: ingest answers 503 until it is'));

  const quota = new UsageQuotaService(dataSource, { trialLimits: config.usage.trialLimits });
  const usageClient = createUsageClient({
    redis,
    prefix: config.queuePrefix,
    shards: config.usageQueueShards,
    // Redis Cluster: 202 only once a replica holds the job too (REDIS_CLUSTER_WAIT_REPLICAS).
    replicaAck: replicaAcknowledgement(config.redis),
    window: occurredAtWindow(config.usage),
    // The `block` policy's refusal at ingest (409), from a per-process cache at most 1 s old.
    quota,
  });
  shutdown.register('usage-client', 'queues', () => usageClient.close());
  // Every queue for Bull Board: each track shard, then maintenance and alerts.
  const queues = deploymentQueues(config.queuePrefix, config.usageQueueShards).map(({ name, prefix }) => {
    const queue = new Queue(name, { connection: redis, prefix });
    queue.on('error', (error: Error) => redisWarning(error.message));
    shutdown.register(`queue:${name}`, 'queues', () => queue.close());
    return queue;
  });

  const app = createApp({
    config,
    dataSource,
    readDataSource: readReplica?.dataSource,
    redis,
    usageClient,
    quota,
    logger,
    clock: systemClock,
    queues,
    webDistDir: WEB_DIST_DIR,
    isShuttingDown: () => shutdown.isShuttingDown,
  });

  shutdown.register('redis-memory-guard', 'http', async () => (app.get('redis-memory-guard') as RedisMemoryGuard).stop());
  const listen = async (handler: typeof app, port: number, host: string) => {
    const server = createExpressServer(handler).listen(port, host);
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    return server;
  };
  const server = await listen(app, config.api.port, config.listen.host);
  shutdown.register('http', 'http', () => closeServer(server, Math.max(500, Math.floor(config.shutdownTimeoutMs / 2))));
  const metricsServer = await listen(createMetricsApp(), config.listen.metricsPort, config.listen.metricsHost);
  shutdown.register('metrics-http', 'http', () => closeServer(metricsServer, 1000));

  const base = `http://${config.listen.host === '0.0.0.0' ? 'localhost' : config.listen.host}:${(server.address() as AddressInfo).port}`;
  const metricsBase = `http://${config.listen.metricsHost === '0.0.0.0' ? 'localhost' : config.listen.metricsHost}:${(metricsServer.address() as AddressInfo).port}`;
  const lines = [
    `API listening on ${base} (${config.env})`,
    `  usage:       GET  ${base}/api/v1/usage`,
    `  ingest:      POST ${base}/api/v1/usage/events`,
    `  API docs:    ${base}/api/docs`,
    `  Bull Board:  ${base}${BULL_BOARD_PATH}`,
    `  metrics:     ${metricsBase}/metrics`,
    `  health:      ${base}/health/ready`,
  ];
  if (app.get('web-served')) lines.push(`  billing page: ${base}/settings/billing`);
  if (config.devLogin) lines.push(`  dev token:   POST ${base}/api/v1/dev/token  (DEV_LOGIN=true; or: npm run token -- --tenant <id>)`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`[api] failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
