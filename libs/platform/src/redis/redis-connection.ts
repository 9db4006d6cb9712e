import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';

/**
 * - `worker`: blocking BullMQ consumers; commands wait for a reconnect instead of failing.
 * - `producer`: request paths (API ingest, readiness); fail fast while Redis is away so callers
 *   can answer 503 instead of hanging.
 */
export type RedisRole = 'worker' | 'producer';

export function createRedisConnection(url: string, role: RedisRole, extra: RedisOptions = {}): Redis {
  const common: RedisOptions = {
    lazyConnect: false,
    connectionName: `usage-metering:${role}`,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  };
  const byRole: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, commandTimeout: 2000 };
  return new Redis(url, { ...common, ...byRole, ...extra });
}

/** Resolves once the connection is ready, or rejects after `timeoutMs`. */
export async function waitForRedis(redis: Redis, timeoutMs = 5000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis did not become ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}

/**
 * Closes a connection at shutdown without waiting on Redis when it is away: QUIT would queue behind
 * the commands already waiting for a reconnect (a worker connection retries forever) and never
 * return. Those commands are dropped; BullMQ's stalled-job recovery re-runs their jobs later.
 */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  await redis.quit().catch(() => redis.disconnect());
}
