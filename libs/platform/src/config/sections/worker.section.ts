import { IsIP, IsInt, IsString, Max, Min } from 'class-validator';
import { configSection } from '../config-section';

class WorkerEnvDto {
  @IsInt() @Min(0) @Max(65535)
  WORKER_METRICS_PORT!: number;

  /** Bind address of /metrics and /health: loopback by default; containers set 0.0.0.0. */
  @IsIP(undefined, { message: 'WORKER_METRICS_HOST must be an IP address to bind, e.g. 127.0.0.1 or 0.0.0.0' })
  WORKER_METRICS_HOST!: string;

  @IsInt() @Min(1) @Max(5000)
  WORKER_CONCURRENCY!: number;

  @IsInt() @Min(1) @Max(5000)
  WORKER_BATCH_SIZE!: number;

  @IsInt() @Min(0) @Max(1000)
  WORKER_BATCH_WAIT_MS!: number;

  /** Micro-batch commits a worker has out at once; what arrives meanwhile waits and goes as one larger commit. */
  @IsInt() @Min(1) @Max(5000)
  WORKER_COMMITS_IN_FLIGHT!: number;

  @IsString()
  WORKER_QUEUES!: string;

  /** How long a worker's lock on an active job lasts without renewal: after a crash, its jobs wait this long. */
  @IsInt() @Min(1000) @Max(600000)
  WORKER_LOCK_DURATION_MS!: number;

  /** How often workers look for jobs whose worker died (lock expired) and put them back in the queue. */
  @IsInt() @Min(500) @Max(600000)
  WORKER_STALLED_INTERVAL_MS!: number;

  /**
   * How many times a job may lose its worker (crash, SIGKILL) before it is failed instead of re-run.
   * Every job is safe to re-run (events are unique per key), and a failed track job is uncounted
   * usage, so this is well above BullMQ's default of 1: with 1, jobs active in two crashes in a row
   * were failed and their events never counted.
   */
  @IsInt() @Min(0) @Max(1000)
  WORKER_MAX_STALLED_COUNT!: number;

  /** Reconciliation statements in flight at once (one pooled connection each). */
  @IsInt() @Min(1) @Max(32)
  RECONCILE_CONCURRENCY!: number;
}

/** How a worker process consumes its queues. */
export interface WorkerPoolConfig {
  worker: {
    metricsPort: number;
    metricsHost: string;
    concurrency: number;
    batchSize: number;
    batchWaitMs: number;
    commitsInFlight: number;
    queues: string[] | 'all';
    /** BullMQ lock of an active job; a crashed worker's jobs are re-queued after it expires. */
    lockDurationMs: number;
    stalledIntervalMs: number;
    maxStalledCount: number;
    reconcileConcurrency: number;
  };
}

export const workerSection = configSection({
  name: 'worker',
  dto: WorkerEnvDto,
  defaults: {
    WORKER_METRICS_PORT: '9100',
    WORKER_METRICS_HOST: '127.0.0.1',
    WORKER_CONCURRENCY: '400',
    WORKER_BATCH_SIZE: '200',
    WORKER_BATCH_WAIT_MS: '10',
    WORKER_COMMITS_IN_FLIGHT: '2',
    WORKER_QUEUES: 'all',
    WORKER_LOCK_DURATION_MS: '30000',
    WORKER_STALLED_INTERVAL_MS: '30000',
    WORKER_MAX_STALLED_COUNT: '10',
    RECONCILE_CONCURRENCY: '2',
  },
  toConfig: (env): WorkerPoolConfig => {
    const queues = env.WORKER_QUEUES.trim();
    return {
      worker: {
        metricsPort: env.WORKER_METRICS_PORT,
        metricsHost: env.WORKER_METRICS_HOST,
        concurrency: env.WORKER_CONCURRENCY,
        batchSize: env.WORKER_BATCH_SIZE,
        batchWaitMs: env.WORKER_BATCH_WAIT_MS,
        commitsInFlight: env.WORKER_COMMITS_IN_FLIGHT,
        queues: queues === 'all' ? 'all' : queues.split(',').map((q) => q.trim()).filter(Boolean),
        lockDurationMs: env.WORKER_LOCK_DURATION_MS,
        stalledIntervalMs: env.WORKER_STALLED_INTERVAL_MS,
        maxStalledCount: env.WORKER_MAX_STALLED_COUNT,
        reconcileConcurrency: env.RECONCILE_CONCURRENCY,
      },
    };
  },
});
