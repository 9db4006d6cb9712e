import { Cluster, Redis } from 'ioredis';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import type { RedisConfig } from '../config/sections/redis.section';
import { keySlot } from './key-slot';

/**
 * - `worker`: blocking BullMQ consumers; commands wait for a reconnect instead of failing.
 * - `producer`: request paths (API ingest, readiness); fail fast while Redis is away so callers
 *   can answer 503 instead of hanging.
 */
export type RedisRole = 'worker' | 'producer';

/** A connection to the deployment's Redis: one server, or a Redis Cluster (REDIS_CLUSTER_NODES). */
export type RedisClient = Redis | Cluster;

/** The connection to one server: the single Redis, or one node of a cluster. */
export type RedisNodeConnection = Redis;

function roleOptions(role: RedisRole): RedisOptions {
  return role === 'worker'
    ? { maxRetriesPerRequest: null, enableReadyCheck: true }
    : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, commandTimeout: 2000 };
}

export function createRedisConnection(url: string, role: RedisRole, extra: RedisOptions = {}): Redis {
  const common: RedisOptions = {
    lazyConnect: false,
    connectionName: `usage-metering:${role}`,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  };
  return new Redis(url, { ...common, ...roleOptions(role), ...extra });
}

/** Username, password and TLS of a redis(s):// URL, applied to every node of a cluster. */
function credentialsOf(url: string): RedisOptions {
  if (!url) return {};
  const parsed = new URL(url);
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * The deployment's Redis as its config says: a single server (REDIS_URL), or a Redis Cluster
 * (REDIS_CLUSTER_NODES, credentials and TLS from REDIS_URL when set). Same roles on both; on a
 * cluster a producer's command to a master that just died is retried on its replica once the
 * slots move (within ~2 s), then fails like a single Redis would.
 */
export function createRedisClient(config: RedisConfig['redis'], role: RedisRole, extra: RedisOptions = {}): RedisClient {
  if (!config.cluster) return createRedisConnection(config.url, role, extra);
  const { enableAutoPipelining, enableOfflineQueue, ...nodeExtra } = { ...roleOptions(role), ...extra };
  const options: ClusterOptions = {
    enableAutoPipelining,
    enableOfflineQueue: enableOfflineQueue ?? true,
    scaleReads: 'master',
    clusterRetryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    maxRedirections: 20,
    slotsRefreshTimeout: 2000,
    redisOptions: { connectionName: `usage-metering:${role}`, ...credentialsOf(config.url), ...nodeExtra },
  };
  return new Cluster(config.cluster.nodes, options);
}

export function isRedisCluster(redis: RedisClient): redis is Cluster {
  return (redis as Cluster).isCluster === true;
}

/** Every master: the server itself, or each master of the cluster (for INFO, which is per node). */
export function redisMasters(redis: RedisClient): Redis[] {
  return isRedisCluster(redis) ? redis.nodes('master') : [redis];
}

/** The connection that carries commands for `key`: the server itself, or the master of the key's slot. */
export function connectionForKey(redis: RedisClient, key: string): Redis {
  if (!isRedisCluster(redis)) return redis;
  const nodeKey = redis.slots[keySlot(key)]?.[0];
  const node = redis.nodes('master').find((candidate) => `${candidate.options.host}:${candidate.options.port}` === nodeKey);
  if (!node) {
    // The slot table names a node the client has no connection to (a failover moved the slot):
    // nothing is sent for the key until this is known, so no MOVED reply would ever correct it.
    // Ask the cluster again now; the caller answers 503 and the producer's retry finds the master.
    redis.refreshSlotsCache();
    throw new Error(`Redis Cluster: no known master for the slot of ${key} (slots not loaded yet)`);
  }
  return node;
}

/** Per connection, the WAIT not sent yet that callers whose writes are done may still join. */
const unsentWaits = new WeakMap<Redis, { replicas: number; timeoutMs: number; acknowledged: Promise<number> }>();

/**
 * `WAIT replicas timeoutMs` on the connection that wrote `key`: resolves with how many replicas
 * acknowledged every write that connection made so far (WAIT counts per connection, which is why
 * it goes to the very connection the cluster client used for the key, never to a new one).
 * Callers whose writes finished in the same event-loop turn share one WAIT: it is sent after all
 * of their writes, so it covers each of them, and a busy master gets one WAIT per turn, not one
 * per enqueue (a blocked WAIT holds back the commands behind it on its connection).
 *
 * `wroteVia` is `connectionForKey` taken just before the write: when the slot moved to another
 * master meanwhile (a failover redirected the write), the write may not have gone through the
 * connection asked now, so nothing is confirmed (0) and the caller retries.
 */
export async function waitForReplicas(redis: RedisClient, key: string, replicas: number, timeoutMs: number, wroteVia?: Redis): Promise<number> {
  const connection = connectionForKey(redis, key);
  if (wroteVia && wroteVia !== connection) return 0;
  const unsent = unsentWaits.get(connection);
  if (unsent && unsent.replicas === replicas && unsent.timeoutMs === timeoutMs) return unsent.acknowledged;
  const acknowledged = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
    if (unsentWaits.get(connection)?.acknowledged === acknowledged) unsentWaits.delete(connection);
    return Number(await connection.call('WAIT', replicas, timeoutMs));
  });
  unsentWaits.set(connection, { replicas, timeoutMs, acknowledged });
  return acknowledged;
}

/** Resolves once the connection is ready, or rejects after `timeoutMs`. */
export async function waitForRedis(redis: RedisClient, timeoutMs = 5000): Promise<void> {
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
export async function closeRedis(redis: RedisClient): Promise<void> {
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  await redis.quit().catch(() => redis.disconnect());
}
