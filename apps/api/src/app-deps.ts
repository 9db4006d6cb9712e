import type { Router } from 'express';
import type { Queue } from 'bullmq';
import type { DataSource } from 'typeorm';
import type { ApiConfig, Clock, Logger, RedisClient } from '@metering/platform';
import type { UsageClient, UsageQuotaService } from '@metering/usage';

/** Everything the HTTP app uses, built by the composition root (main.ts) or by a test. */
export interface ApiDeps {
  config: ApiConfig;
  /** Initialized DataSource over the usage schema. */
  dataSource: DataSource;
  /**
   * Where reads that may lag a little go (usage, history, periods, the events list and export):
   * main.ts passes the read replica router's DataSource when DATABASE_READ_URL is set. Writes and
   * reads that decide something (ingest admission, the quota check, webhooks) use `dataSource`.
   * Default: `dataSource`.
   */
  readDataSource?: DataSource;
  /** Producer connection (`createRedisConnection(url, 'producer')`): fails fast while Redis is away. */
  redis: RedisClient;
  usageClient: UsageClient;
  /** The quota cache behind `GET /api/v1/usage/check`; main.ts shares the usage client's. Default: a new one. */
  quota?: UsageQuotaService;
  logger: Logger;
  clock: Clock;
  /** Queues shown in Bull Board at /admin/queues. */
  queues: readonly Queue[];
  /** Redis key prefix of the rate limiters; default `rl:<QUEUE_PREFIX>:`. Tests pass their own. */
  rateLimitPrefix?: string;
  /** Built web app to serve (with SPA fallback) when it exists, e.g. apps/web/dist. */
  webDistDir?: string;
  /** True while the process is draining, so readiness fails first. */
  isShuttingDown?: () => boolean;
  /**
   * Routers of other features, mounted before the 404 handler. No body parser runs before them,
   * so a router that needs the raw body (Stripe webhook signatures) gets it untouched.
   */
  extraRouters?: readonly Router[];
}
