import { createRedisClient, createRedisConnection, loadConfigSections, redisSection } from '@metering/platform';
import type { RedisClient } from '@metering/platform';
import type { CliContext } from '../cli-command';

/**
 * The Redis that holds the Stripe breaker's shared keys, where the workers keep them: on the
 * cluster when REDIS_CLUSTER_NODES is set, else the single Redis. Commands that call Stripe use it.
 */
export async function openBreakerRedis(context: CliContext): Promise<RedisClient> {
  return context.env.REDIS_CLUSTER_NODES
    ? createRedisClient(loadConfigSections([redisSection], context.env).redis, 'worker')
    : createRedisConnection(await context.redisUrl(), 'worker');
}
