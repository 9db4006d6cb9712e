import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { createMeteringDataSource } from '@metering/billing';
import { dropDatabase, ensureDatabase, resolveRuntimeServices, withDatabase } from '@metering/dev';
import type { RuntimeServices } from '@metering/dev';
import { createRedisConnection, runMigrationsWithLock, waitForRedis } from '@metering/platform';
import { AppProcess, StripeTestServer, freePort } from '@metering/testing';
import { DEFAULT_OCCURRED_AT_WINDOW, QUEUES, createUsageClient } from '@metering/usage';
import type { UsageClient, UsageClientOptions } from '@metering/usage';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { ProcessMemory, cpuSeconds, findAppProcess, serverCpuSeconds } from './process-memory';

export const ROOT = path.resolve(__dirname, '../..');
export const BENCH_JWT_SECRET = 'bench-secret-that-is-at-least-32-characters-long';
export const BENCH_JWT_ISSUER = 'bench-issuer';
export const BENCH_JWT_AUDIENCE = 'usage-metering-bench';

/** A worker started beside the main one (BenchEnvironment.startSideWorker). */
export interface SideWorker {
  prefix: string;
  usageClient: UsageClient;
  stop(): Promise<void>;
}

export interface BenchEnvironmentOptions {
  profileDir?: string;
  verbose: boolean;
}

/**
 * Everything a run needs, started as production starts it: Postgres and Redis chosen as the tests
 * choose them, a fresh migrated database for this run (dropped at the end), a unique queue prefix,
 * and the api and worker as child processes (`npm run start:api` / `start:worker`).
 */
export class BenchEnvironment {
  readonly runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  readonly databaseName = `usage_bench_${this.runId}`;
  readonly queuePrefix = `{bench-${this.runId}}`;
  services!: RuntimeServices;
  databaseUrl = '';
  serverUrl = '';
  db!: DataSource;
  redis!: Redis;
  usageClient!: UsageClient;
  stripe!: StripeTestServer;
  api!: AppProcess;
  worker!: AppProcess;
  apiUrl = '';
  workerUrl = '';
  apiMemory!: ProcessMemory;
  workerMemory!: ProcessMemory;
  /** Databases a scenario moved the apps to (useDatabase); dropped by `stop()`. */
  private readonly extraDatabases: string[] = [];

  constructor(private readonly options: BenchEnvironmentOptions) {}

  async start(): Promise<void> {
    this.services = await resolveRuntimeServices({ env: process.env, dataRoot: path.join(ROOT, '.data'), databaseName: this.databaseName });
    // Like the tests: a DATABASE_URL names a server; the bench never writes into the database it names.
    this.serverUrl = withDatabase(this.services.databaseUrl, 'postgres');
    await ensureDatabase(this.serverUrl, this.databaseName);
    this.databaseUrl = withDatabase(this.serverUrl, this.databaseName);
    this.db = createMeteringDataSource(this.databaseUrl, 10, 'usage-bench');
    await this.db.initialize();
    await runMigrationsWithLock(this.db);

    this.redis = createRedisConnection(this.services.redisUrl, 'producer');
    await waitForRedis(this.redis, 10_000);
    this.usageClient = createUsageClient({ redis: this.redis, prefix: this.queuePrefix, window: DEFAULT_OCCURRED_AT_WINDOW });
    this.stripe = await StripeTestServer.start();
    await this.startApps();
  }

  /** Environment of the api and worker: production mode, limits raised for the run. */
  appEnv(apiPort: number, workerPort: number): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DEMO: 'false',
      DATABASE_URL: this.databaseUrl,
      REDIS_URL: this.services.redisUrl,
      QUEUE_PREFIX: this.queuePrefix,
      API_PORT: String(apiPort),
      WORKER_METRICS_PORT: String(workerPort),
      JWT_SECRET: BENCH_JWT_SECRET,
      // Production requires both; benchToken() signs with them.
      JWT_ISSUER: BENCH_JWT_ISSUER,
      JWT_AUDIENCE: BENCH_JWT_AUDIENCE,
      // Any free port: the bench scrapes the worker's metrics, never the API's.
      API_METRICS_PORT: '0',
      USAGE_RATE_LIMIT_PER_MINUTE: '100000000',
      INGEST_RATE_LIMIT_PER_MINUTE: '100000000',
      INGEST_EVENTS_PER_MINUTE: '1000000000',
      INGEST_BYTES_PER_MINUTE: '1000000000000',
      IP_RATE_LIMIT_PER_MINUTE: '1000000',
      STRIPE_SECRET_KEY: 'sk_test_bench',
      STRIPE_API_BASE: this.stripe.url,
      // Stripe's live limit is 1,000 calls/s; the default of 100/s is a conservative production choice.
      STRIPE_MAX_REQUESTS_PER_SECOND: '1000',
      STRIPE_CONCURRENCY: '50',
    };
    if (this.options.profileDir) {
      // Node refuses --cpu-prof in NODE_OPTIONS; the preload does the same through the inspector.
      env.NODE_OPTIONS = `--require ${path.join(__dirname, 'cpu-profile.preload.cjs')}`;
      env.BENCH_CPU_PROFILE_DIR = this.options.profileDir;
    }
    return env;
  }

  /**
   * Restarts the api and worker on database `name` of the same server (migrated to the latest
   * schema first) and points `db` there; the database is dropped by `stop()`.
   */
  async useDatabase(name: string): Promise<void> {
    this.apiMemory.stop();
    this.workerMemory.stop();
    await Promise.all([this.api.stop(), this.worker.stop()]);
    await this.db.destroy();
    this.extraDatabases.push(name);
    this.databaseUrl = withDatabase(this.serverUrl, name);
    this.db = createMeteringDataSource(this.databaseUrl, 10, 'usage-bench');
    await this.db.initialize();
    await runMigrationsWithLock(this.db);
    await this.startApps();
  }

  /**
   * Another worker process on this run's database and Redis: the apps' environment with
   * `overrides`, on a queue prefix of its own (`<run prefix>-<tag>`: none of the main worker's
   * jobs, and still removed with the run's keys), with a producer client for that prefix
   * (`client`: its options, e.g. coalescing off).
   */
  async startSideWorker(tag: string, overrides: NodeJS.ProcessEnv, client: Pick<UsageClientOptions, 'coalesce'> = {}): Promise<SideWorker> {
    const port = await freePort();
    const prefix = `${this.queuePrefix}-${tag}`;
    const env = { ...this.appEnv(0, port), QUEUE_PREFIX: prefix, ...overrides };
    const worker = await this.startApp('worker', env, `http://127.0.0.1:${port}/health`);
    const usageClient = createUsageClient({ redis: this.redis, prefix, window: DEFAULT_OCCURRED_AT_WINDOW, ...client });
    return {
      prefix,
      usageClient,
      stop: async () => {
        await usageClient.close();
        await worker.stop();
      },
    };
  }

  private async startApps(): Promise<void> {
    const [apiPort, workerPort] = [await freePort(), await freePort()];
    this.apiUrl = `http://127.0.0.1:${apiPort}`;
    this.workerUrl = `http://127.0.0.1:${workerPort}`;
    const env = this.appEnv(apiPort, workerPort);
    [this.api, this.worker] = await Promise.all([
      this.startApp('api', env, `${this.apiUrl}/health/ready`),
      this.startApp('worker', env, `${this.workerUrl}/health`),
    ]);
    this.apiMemory = new ProcessMemory(this.appPid(this.api, 'apps/api/src/main.ts'));
    this.workerMemory = new ProcessMemory(this.appPid(this.worker, 'apps/worker/src/main.ts'));
  }

  /** `npm run start:<app>` with `env`, resolved once `readyUrl` answers. */
  private startApp(app: 'api' | 'worker', env: NodeJS.ProcessEnv, readyUrl: string): Promise<AppProcess> {
    return new AppProcess(app, { env, readyUrl, readyTimeoutMs: 60_000, echo: this.options.verbose }).start();
  }

  private appPid(app: AppProcess, entry: string): number {
    const pid = app.pid === undefined ? undefined : findAppProcess(app.pid, entry);
    if (pid === undefined) throw new Error(`cannot find the node process running ${entry}`);
    return pid;
  }

  /** Peak RSS (MB) of both apps since the last `resetMemory()`. */
  peakRssMb(): { api: number; worker: number } {
    const mb = (bytes: number): number => Math.round(bytes / 1024 / 1024);
    return { api: mb(this.apiMemory.peakBytes()), worker: mb(this.workerMemory.peakBytes()) };
  }

  /** CPU seconds both apps have used since they started. */
  cpuSeconds(): { api: number; worker: number } {
    return { api: cpuSeconds(this.apiMemory.pid), worker: cpuSeconds(this.workerMemory.pid) };
  }

  /**
   * Starts measuring the CPU of every process the workload runs on (apps, Postgres, Redis, this
   * process with the baselines' children); `perUnit(n)` reports microseconds of CPU per unit of
   * work, e.g. `api 12, worker 80, postgres 40, redis 60, bench 50, total 242`.
   */
  cpuMeter(): { perUnit(units: number): string } {
    const apps = new Set([this.apiMemory.pid, this.workerMemory.pid]);
    const snapshot = (): Record<string, number> => ({ ...this.cpuSeconds(), ...serverCpuSeconds(apps) });
    const before = snapshot();
    return {
      perUnit: (units) => {
        const after = snapshot();
        const parts = Object.keys(before).map((name) => [name, ((after[name]! - before[name]!) * 1e6) / Math.max(units, 1)] as const);
        const total = parts.reduce((sum, [, us]) => sum + us, 0);
        return [...parts, ['total', total] as const].map(([name, us]) => `${name} ${Math.round(us)}`).join(', ');
      },
    };
  }

  /**
   * Starts reading the worker's own `usage_commit_batch_events` histogram; `summary()` reports
   * the commits since then and their mean size, e.g. `412 commits of 48.5 events`. Batch size is
   * what decides Postgres's cost per event, so the ingest scenarios log it beside the CPU.
   */
  async commitBatchMeter(): Promise<{ summary(): Promise<string> }> {
    const read = async (): Promise<{ sum: number; count: number }> => {
      const text = await (await fetch(`${this.workerUrl}/metrics`)).text();
      const value = (name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
      return { sum: value('usage_commit_batch_events_sum'), count: value('usage_commit_batch_events_count') };
    };
    const before = await read();
    return {
      summary: async () => {
        const after = await read();
        const commits = after.count - before.count;
        return `${commits} commits of ${commits > 0 ? ((after.sum - before.sum) / commits).toFixed(1) : 0} events`;
      },
    };
  }

  /**
   * Deletes the finished jobs of the usage-events queue, so each round of a scenario starts from
   * the state the one before it did (past BullMQ's `removeOnComplete` cap, every completion also
   * removes an old job, which the fresh queue of the no-op baseline never pays). In slices: the
   * producer connection times commands out after 2 s.
   */
  async resetQueues(): Promise<void> {
    const queue = new Queue(QUEUES.usageEvents, { connection: this.redis, prefix: this.queuePrefix });
    try {
      while ((await queue.clean(0, 5_000, 'completed')).length > 0);
    } finally {
      await queue.close();
    }
  }

  resetMemory(): void {
    this.apiMemory.reset();
    this.workerMemory.reset();
  }

  /** Stops everything this run started and drops its database; safe to call after a partial start. */
  async stop(): Promise<void> {
    const quietly = async (work: () => Promise<unknown> | undefined): Promise<void> => {
      try {
        await work();
      } catch (error) {
        process.stderr.write(`bench cleanup: ${String(error)}\n`);
      }
    };
    this.apiMemory?.stop();
    this.workerMemory?.stop();
    await Promise.all([quietly(() => this.api?.stop()), quietly(() => this.worker?.stop())]);
    await quietly(() => this.usageClient?.close());
    await quietly(() => this.stripe?.close());
    await quietly(() => (this.redis ? this.deleteQueueKeys().then(() => this.redis.quit()) : undefined));
    await quietly(() => (this.db?.isInitialized ? this.db.destroy() : undefined));
    if (this.serverUrl) {
      for (const name of [this.databaseName, ...this.extraDatabases]) await quietly(() => dropDatabase(this.serverUrl, name));
    }
    await quietly(() => this.services?.stop());
  }

  /** Removes this run's BullMQ keys (completed jobs are kept an hour otherwise). */
  private async deleteQueueKeys(): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.queuePrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await this.redis.unlink(...keys);
    } while (cursor !== '0');
    let rlCursor = '0';
    do {
      const [next, keys] = await this.redis.scan(rlCursor, 'MATCH', `rl:${this.queuePrefix}*`, 'COUNT', 1000);
      rlCursor = next;
      if (keys.length > 0) await this.redis.unlink(...keys);
    } while (rlCursor !== '0');
  }
}
