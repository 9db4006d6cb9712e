import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { Queue } from 'bullmq';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import type { SignOptions } from 'jsonwebtoken';
import winston from 'winston';
import { createRedisConnection, systemClock, waitForRedis } from '@metering/platform';
import type { ApiConfig, Clock, Logger } from '@metering/platform';
import { ALL_QUEUES, QUEUES, UsageQuotaService, createUsageClient, occurredAtWindow } from '@metering/usage';
import type { UsageClient } from '@metering/usage';
import { testConfig, uniqueQueuePrefix, useTestDatabase } from '@metering/testing';
import type { TestDatabase } from '@metering/testing';
import { createApp } from '../../src/app';
import type { ApiDeps } from '../../src/app-deps';

/** The secret jest's global setup puts in JWT_SECRET. */
export const TEST_JWT_SECRET = (): string => {
  const secret = process.env.JWT_SECRET;
  if (!secret) throw new Error('JWT_SECRET is not set: run through jest');
  return secret;
};

/** A token the test app accepts (HS256 with the test secret), with claim overrides. */
export function tokenFor(
  tenantId: string,
  roles: string[] = ['user'],
  options: SignOptions = {},
  extraClaims: Record<string, unknown> = {},
): string {
  return jwt.sign({ tenant_id: tenantId, roles, ...extraClaims }, TEST_JWT_SECRET(), {
    algorithm: 'HS256',
    expiresIn: 300,
    subject: 'test-user',
    ...options,
  });
}

/** An inbox event as an agent sends it over HTTP (a fresh resource id), with field overrides. */
export function wireEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { agent: 'inbox', action_type: 'email_processed', resource_id: `msg-${randomUUID()}`, quantity: 1, ...overrides };
}

/** Log lines a test app wrote, to assert what an operator would see. */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = winston.createLogger({ level: 'debug', transports: [new winston.transports.Console({ silent: true })] });
  logger.on('data', (info: Record<string, unknown>) => lines.push(info));
  return { logger, lines };
}

/** A port nothing listens on: a producer connection to it behaves like Redis being down. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface ApiHarness {
  db: TestDatabase;
  app: Express;
  config: ApiConfig;
  redis: Redis;
  prefix: string;
  /** The usage-events queue under this file's prefix, to see what was enqueued. */
  eventsQueue: Queue;
  /** Builds another app over this file's database (e.g. with other config or a dead Redis). */
  buildApp(overrides?: Partial<ApiDeps> & { env?: Record<string, string> }): Express;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  clock?: Clock;
  deps?: Partial<ApiDeps>;
}

/**
 * One API app per test file over its own database, a real Redis producer connection, and unique
 * queue and rate-limit prefixes. Everything it opens is closed in afterAll.
 */
export function useApiHarness(options: HarnessOptions = {}): { readonly current: ApiHarness } {
  const database = useTestDatabase();
  const prefix = uniqueQueuePrefix();
  const closers: Array<() => Promise<unknown>> = [];
  let harness: ApiHarness | undefined;

  beforeAll(async () => {
    const db = database.current;
    const redis = createRedisConnection(process.env.REDIS_URL!, 'producer');
    closers.push(() => redis.quit());
    await waitForRedis(redis);
    const usage = testConfig(db.url, { QUEUE_PREFIX: prefix, ...options.env }).usage;
    const window = occurredAtWindow(usage);
    // As main.ts builds it: the `block` policy refused at ingest (staleness 0 here, so tests need not wait).
    const quota = new UsageQuotaService(db.dataSource, { trialLimits: usage.trialLimits, staleMs: 0, clock: options.clock });
    const usageClient: UsageClient = createUsageClient({ redis, prefix, window, quota });
    closers.unshift(() => usageClient.close());
    const queues = ALL_QUEUES.map((name) => new Queue(name, { connection: redis, prefix }));
    for (const queue of queues) closers.unshift(() => queue.close());
    const eventsQueue = queues.find((queue) => queue.name === QUEUES.usageEvents)!;
    const { logger } = capturingLogger();

    const buildApp: ApiHarness['buildApp'] = (overrides = {}) => {
      const { env, ...deps } = overrides;
      return createApp({
        config: testConfig(db.url, { QUEUE_PREFIX: prefix, ...options.env, ...env }),
        dataSource: db.dataSource,
        redis,
        usageClient,
        quota,
        logger,
        clock: options.clock ?? systemClock,
        queues,
        rateLimitPrefix: `rl:${prefix}:${Math.random().toString(36).slice(2)}:`,
        ...options.deps,
        ...deps,
      });
    };
    harness = {
      db,
      app: buildApp(),
      config: testConfig(db.url, { QUEUE_PREFIX: prefix, ...options.env }),
      redis,
      prefix,
      eventsQueue,
      buildApp,
    };
  });

  afterAll(async () => {
    for (const close of closers) await close().catch(() => undefined);
  });

  return {
    get current(): ApiHarness {
      if (!harness) throw new Error('API harness is not ready (use it inside a test or hook)');
      return harness;
    },
  };
}

/**
 * A producer connection to a closed port, as the API sees Redis during an outage (not ready,
 * commands refused at once). It does not retry: a retrying ioredis client keeps timers alive
 * after disconnect, which would hold jest open.
 */
export async function deadRedis(): Promise<{ redis: Redis; close: () => Promise<void> }> {
  const redis = createRedisConnection(`redis://127.0.0.1:${await closedPort()}`, 'producer', { retryStrategy: () => null });
  redis.on('error', () => undefined);
  await new Promise<void>((resolve) => redis.once('end', () => resolve()));
  return { redis, close: async () => redis.disconnect() };
}
