import { Queue, UnrecoverableError, Worker } from 'bullmq';
import type { DataSource } from 'typeorm';
import { ShutdownManager, closeRedis, collectProcessMetrics, connectionForKey, createLogger, createRedisClient, isRedisCluster, systemClock } from '@metering/platform';
import type { Clock, Logger, RedisClient, WorkerConfig } from '@metering/platform';
import { createMeteringDataSource } from '@metering/billing';
import { QUEUES, deploymentQueues, queueKey } from '@metering/usage';
import type { QueueName } from '@metering/usage';
import { assertJobRegistry, handlersFor } from './jobs/job-registry';
import { collectQueueDepth, measured } from './runtime/job-metrics';
import { buildJobDependencies } from './runtime/job-dependencies';
import { exportLedgerMetrics } from './runtime/ledger-metrics';
import { startMetricsServer } from './runtime/metrics-server';
import type { HealthReport } from './runtime/metrics-server';
import { registerSchedules } from './runtime/schedules';
import { servedQueues } from './runtime/served-queues';
import { StartCancelledError, waitForPostgres, waitForRedisPing } from './runtime/wait-for-dependencies';

export interface WorkerRuntimeOptions {
  config: WorkerConfig;
  logger?: Logger;
  clock?: Clock;
  /** Pause between dependency checks at start-up. */
  dependencyRetryMs?: number;
  /** Called with the exit code after a signal-triggered shutdown (default: process.exit). */
  exit?: (code: number) => void;
}

/** A worker process's parts, startable and stoppable in-process (tests) or from main.ts. */
export interface WorkerRuntime {
  readonly shutdown: ShutdownManager;
  /** Waits for Postgres and Redis, registers schedules, then starts consuming. */
  start(): Promise<void>;
  /** Stops taking jobs, waits for active ones (within the deadline), closes everything. */
  stop(reason?: string): Promise<number>;
  /** Port of /metrics and /health (after start). */
  readonly metricsPort: number;
  /** One Queue per kind (the first track shard for `usage-events`), after start. */
  readonly queues: ReadonlyMap<QueueName, Queue>;
  /** Every queue of the deployment, each track shard included (USAGE_QUEUE_SHARDS), after start. */
  readonly allQueues: readonly Queue[];
}

const CONCURRENCY: Record<QueueName, (config: WorkerConfig) => number> = {
  // WORKER_CONCURRENCY is the whole process's: the track shards share it (one batcher behind them all).
  [QUEUES.usageEvents]: (config) => Math.ceil(config.worker.concurrency / config.usageQueueShards),
  // Maintenance jobs are set-based and take a lock where they must not overlap; one at a time.
  [QUEUES.usageMaintenance]: () => 1,
  [QUEUES.usageAlerts]: () => 16,
};

/** Builds the worker process; nothing connects until `start()`. */
export function createWorkerRuntime(options: WorkerRuntimeOptions): WorkerRuntime {
  const { config } = options;
  const logger = options.logger ?? createLogger({ level: config.logLevel, json: config.env === 'production', service: 'worker' });
  const clock = options.clock ?? systemClock;
  const shutdown = new ShutdownManager(logger, config.shutdownTimeoutMs, options.exit);
  const queues = new Map<QueueName, Queue>();
  const allQueues: Queue[] = [];
  const workers: Worker[] = [];
  let metricsPort = 0;
  let dataSource: DataSource | undefined;
  let redis: RedisClient | undefined;
  let ready = false;

  async function health(): Promise<HealthReport> {
    if (shutdown.isShuttingDown) return { status: 'stopping', checks: {} };
    if (!ready) return { status: 'starting', checks: { postgres: 'pending', redis: 'pending' } };
    const [postgres, redisUp] = await Promise.all([
      dataSource!.query('SELECT 1').then(() => 'up' as const, () => 'down' as const),
      redis!.ping().then(() => 'up' as const, () => 'down' as const),
    ]);
    const workersUp = workers.every((worker) => worker.isRunning()) ? 'up' : 'down';
    const checks = { postgres, redis: redisUp, workers: workersUp } as const;
    return { status: Object.values(checks).every((c) => c === 'up') ? 'ok' : 'degraded', checks };
  }

  async function start(): Promise<void> {
    const served = servedQueues(config.worker.queues);
    assertJobRegistry();
    collectProcessMetrics();
    const metrics = await startMetricsServer({
      port: config.worker.metricsPort,
      host: config.worker.metricsHost,
      logger,
      collect: () => collectQueueDepth(allQueues),
      health,
    });
    metricsPort = metrics.port;
    shutdown.register('metrics-server', 'http', () => metrics.close());

    const connection = createRedisClient(config.redis, 'worker');
    redis = connection;
    connection.on('error', (error) => logger.warn('redis connection error', { error: String(error) }));
    shutdown.register('redis', 'connections', () => closeRedis(connection));
    const wait = { logger, retryMs: options.dependencyRetryMs ?? 1000, cancelled: () => shutdown.isShuttingDown };
    const db = await waitForPostgres(() => createMeteringDataSource(config.database.url, config.database.poolSize, 'usage-worker'), wait);
    dataSource = db;
    shutdown.register('postgres', 'connections', () => db.destroy());
    await waitForRedisPing(connection, wait);
    if (shutdown.isShuttingDown) {
      // Shutdown began while we waited; its hooks may already have run.
      await db.destroy().catch(() => undefined);
      connection.disconnect();
      throw new StartCancelledError();
    }

    const addresses = deploymentQueues(config.queuePrefix, config.usageQueueShards);
    for (const { kind, name, prefix } of addresses) {
      const queue = new Queue(name, { connection, prefix });
      if (!queues.has(kind)) queues.set(kind, queue);
      allQueues.push(queue);
      shutdown.register(`queue:${name}`, 'queues', () => queue.close());
    }
    if (isRedisCluster(connection)) {
      // Shards are hashed to slots, not placed: say where they landed, so a lopsided spread shows.
      const perMaster: Record<string, string[]> = {};
      for (const address of addresses.filter((a) => a.kind === QUEUES.usageEvents)) {
        let master = 'unknown (slots not loaded)';
        try {
          const { host, port } = connectionForKey(connection, queueKey(address)).options;
          master = `${host}:${port}`;
        } catch {
          // only a log line: never a reason not to start
        }
        (perMaster[master] ??= []).push(address.name);
      }
      logger.info('track shards per master', { shards: perMaster });
    }
    if (served.includes(QUEUES.usageMaintenance)) {
      await registerSchedules(queues.get(QUEUES.usageMaintenance)!, config.schedules);
      // The maintenance jobs' gauges (reconciliation freshness, alerts stuck before the queue).
      exportLedgerMetrics(db);
    }

    const dependencies = buildJobDependencies({ config, logger, clock, dataSource: db, redis: connection, queues });
    // Every shard of a served kind: the track shards all run the same handlers.
    for (const { kind, name: queueName, prefix } of addresses.filter((address) => served.includes(address.kind))) {
      const handlers = new Map([...handlersFor(kind, dependencies)].map(([name, handler]) => [name, measured(queueName, handler)]));
      const worker = new Worker(
        queueName,
        async (job) => {
          const handler = handlers.get(job.name);
          if (!handler) throw new UnrecoverableError(`no handler for job ${job.name} on queue ${queueName}`);
          return handler(job);
        },
        {
          connection,
          prefix,
          concurrency: CONCURRENCY[kind](config),
          autorun: false,
          lockDuration: config.worker.lockDurationMs,
          stalledInterval: config.worker.stalledIntervalMs,
          maxStalledCount: config.worker.maxStalledCount,
        },
      );
      worker.on('error', (error) => logger.error('worker error', { queue: queueName, error: String(error) }));
      worker.on('failed', (job, error) => {
        // Retries are logged per batch by the batcher; here only jobs that stay failed.
        if (job && (error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1))) {
          logger.warn('job failed', { queue: queueName, name: job.name, id: job.id, attempts: job.attemptsMade, reason: error.message });
        }
      });
      workers.push(worker);
      // With Redis away, close() would wait for it forever (past the deadline: exit 1). The jobs this
      // worker holds cannot be acknowledged then anyway; they come back through stalled-job
      // recovery once Redis does, and a re-run counts nothing twice.
      shutdown.register(`worker:${queueName}`, 'workers', () => worker.close(connection.status !== 'ready'));
      void worker.run().catch((error) => logger.error('worker stopped', { queue: queueName, error: String(error) }));
    }
    ready = true;
    logger.info('worker started', { queues: served, prefix: config.queuePrefix, metricsPort });
  }

  return {
    shutdown,
    start,
    stop: (reason = 'stop') => shutdown.shutdown(reason),
    get metricsPort() {
      return metricsPort;
    },
    queues,
    allQueues,
  };
}
