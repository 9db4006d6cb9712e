export * from './config';
export { createLogger } from './logging/logger';
export type { Logger, LoggerOptions } from './logging/logger';
export { metricsRegistry, collectProcessMetrics, counter, gauge, histogram } from './metrics/registry';
export { createDataSource, preparedQuery } from './database/data-source';
export type { DataSourceOptions } from './database/data-source';
export { closeRedis, createRedisConnection, waitForRedis } from './redis/redis-connection';
export type { RedisRole } from './redis/redis-connection';
export { ShutdownManager, SHUTDOWN_PHASES } from './lifecycle/shutdown-manager';
export type { ShutdownPhase } from './lifecycle/shutdown-manager';
export {
  resolvePostgres,
  resolveRedis,
  ensureDatabase,
  dropDatabase,
  withDatabase,
  resolveRuntimeServices,
  EMBEDDED_POSTGRES_PORT,
} from './runtime/local-services';
export type { ResolvedService, RuntimeServices } from './runtime/local-services';
export { isUuid } from './uuid';
export { systemClock } from './clock';
export type { Clock } from './clock';
