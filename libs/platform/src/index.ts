export * from './config';
export { createLogger } from './logging/logger';
export type { Logger, LoggerOptions } from './logging/logger';
export { metricsRegistry, collectProcessMetrics, counter, gauge, histogram } from './metrics/registry';
export { createDataSource, preparedQuery } from './database/data-source';
export type { DataSourceOptions } from './database/data-source';
export { bigintAsNumber } from './database/bigint-transformer';
export { runMigrationsWithLock } from './database/run-migrations';
export {
  closeRedis,
  connectionForKey,
  createRedisClient,
  createRedisConnection,
  isRedisCluster,
  redisMasters,
  waitForRedis,
  waitForReplicas,
} from './redis/redis-connection';
export type { RedisClient, RedisNodeConnection, RedisRole } from './redis/redis-connection';
export { keySlot } from './redis/key-slot';
export { ShutdownManager, SHUTDOWN_PHASES } from './lifecycle/shutdown-manager';
export type { ShutdownPhase } from './lifecycle/shutdown-manager';
export { isUuid } from './uuid';
export { systemClock } from './clock';
export type { Clock } from './clock';
export { ReadReplicaRouter, isReplicaUnavailable } from './database/read-replica';
export { postgresServerName } from './database/postgres-url';
export type { ReadReplicaOptions, ReadRouteReason } from './database/read-replica';
export { PrimaryWalHistory } from './database/replica-lag';
export type { ReplicaLag } from './database/replica-lag';
