import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createRedisConnection } from '@metering/platform';
import { AppProcess, FaultProxy, freePort, uniqueQueuePrefix } from '@metering/testing';
import type { TestDatabase } from '@metering/testing';
import { DEFAULT_OCCURRED_AT_WINDOW, QUEUES, createUsageClient } from '@metering/usage';
import type { UsageClient } from '@metering/usage';

/** A running API child process and where it listens. */
export interface ApiProcess {
  process: AppProcess;
  url: string;
  /** The API's own metrics port (API_METRICS_PORT). */
  metricsUrl: string;
}

/** A running worker child process and its /metrics + /health port. */
export interface WorkerProcess {
  process: AppProcess;
  metricsUrl: string;
}

export interface FaultStackOptions {
  db: TestDatabase;
  /** Put a FaultProxy between every app and Postgres (DATABASE_URL goes through it). */
  proxyPostgres?: boolean;
  /** Put a FaultProxy between every app and Redis (REDIS_URL goes through it). */
  proxyRedis?: boolean;
  /** Extra environment for every process of the stack. */
  env?: Record<string, string>;
}

function hostPort(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || (parsed.protocol.startsWith('redis') ? 6379 : 5432)) };
}

/**
 * One deployment under test: API and worker child processes started as production starts them
 * (`npm run start:api` / `start:worker`), sharing one database, one Redis and one queue prefix,
 * optionally behind fault proxies. The test side talks to Postgres and Redis directly (never
 * through the proxies), so it can watch the queue and the rows while the apps are cut off.
 */
export class FaultStack {
  readonly queuePrefix = uniqueQueuePrefix();
  pgProxy?: FaultProxy;
  redisProxy?: FaultProxy;
  /** Direct producer connection, queue and client for the test itself. */
  redis!: Redis;
  eventsQueue!: Queue;
  client!: UsageClient;
  private readonly apps: AppProcess[] = [];

  constructor(private readonly options: FaultStackOptions) {}

  async start(): Promise<this> {
    const { db } = this.options;
    if (this.options.proxyPostgres) this.pgProxy = await new FaultProxy({ target: hostPort(db.url) }).start();
    if (this.options.proxyRedis) this.redisProxy = await new FaultProxy({ target: hostPort(process.env.REDIS_URL!) }).start();
    this.redis = createRedisConnection(process.env.REDIS_URL!, 'worker');
    this.eventsQueue = new Queue(QUEUES.usageEvents, { connection: this.redis, prefix: this.queuePrefix });
    this.client = createUsageClient({ redis: this.redis, prefix: this.queuePrefix, window: DEFAULT_OCCURRED_AT_WINDOW });
    return this;
  }

  /** Environment every app of this stack gets. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    const realRedis = process.env.REDIS_URL!;
    return {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DEMO: 'false',
      JWT_SECRET: process.env.JWT_SECRET!,
      DATABASE_URL: this.pgProxy ? this.pgProxy.url(this.options.db.url) : this.options.db.url,
      REDIS_URL: this.redisProxy ? this.redisProxy.url(realRedis) : realRedis,
      QUEUE_PREFIX: this.queuePrefix,
      SHUTDOWN_TIMEOUT_MS: '15000',
      ...this.options.env,
      ...extra,
    };
  }

  async startApi(extra: Record<string, string> = {}): Promise<ApiProcess> {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const url = `http://127.0.0.1:${port}`;
    const env = this.env({ API_PORT: String(port), API_METRICS_PORT: String(metricsPort), ...extra });
    const app = new AppProcess('api', { env, readyUrl: `${url}/health/ready`, readyTimeoutMs: 90_000, echo: process.env.FAULT_ECHO === '1' });
    this.apps.push(app);
    await app.start();
    return { process: app, url, metricsUrl: `http://127.0.0.1:${metricsPort}` };
  }

  async startWorker(extra: Record<string, string> = {}): Promise<WorkerProcess> {
    const port = await freePort();
    const metricsUrl = `http://127.0.0.1:${port}`;
    const app = new AppProcess('worker', {
      env: this.env({ WORKER_METRICS_PORT: String(port), ...extra }),
      readyUrl: `${metricsUrl}/health/ready`,
      readyTimeoutMs: 90_000,
    });
    this.apps.push(app);
    await app.start();
    return { process: app, metricsUrl };
  }

  /** Starts a stopped or killed app again, with the same port and environment. */
  async restart(app: WorkerProcess | ApiProcess): Promise<void> {
    await app.process.start();
  }

  /** Stops every app still running (SIGKILL after the grace period), then the test's own connections. */
  async stop(): Promise<void> {
    await Promise.all(this.apps.map((app) => app.stop('SIGTERM', 20_000).catch(() => app.kill().catch(() => undefined))));
    await this.client?.close().catch(() => undefined);
    await this.eventsQueue?.close().catch(() => undefined);
    await this.redis?.quit().catch(() => this.redis.disconnect());
    await this.pgProxy?.close();
    await this.redisProxy?.close();
  }
}
