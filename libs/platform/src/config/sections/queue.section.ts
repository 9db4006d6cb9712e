import { IsInt, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { configSection } from '../config-section';

/** Most track-queue shards a deployment may run: each is a BullMQ queue every worker consumes. */
export const MAX_USAGE_QUEUE_SHARDS = 64;

class QueueEnvDto {
  @IsString() @MinLength(1) @MaxLength(64)
  QUEUE_PREFIX!: string;

  /**
   * Track queues the events are spread over by tenant (each with its own hash tag, so on a Redis
   * Cluster they land on different masters). 1 keeps the single `usage-events` queue.
   */
  @IsInt() @Min(1) @Max(MAX_USAGE_QUEUE_SHARDS)
  USAGE_QUEUE_SHARDS!: number;
}

/**
 * The key prefix of the queues and of state every process of a deployment shares (rate limits,
 * the Stripe breaker), and how many track queues there are. Apart from the Redis URL, because
 * the CLI finds its Redis on its own.
 */
export interface QueueConfig {
  queuePrefix: string;
  usageQueueShards: number;
}

/** A hash tag: `{...}` with something inside, the part of a key Redis Cluster hashes. */
const HASH_TAG = /\{[^{}]+\}/;

export const queueSection = configSection({
  name: 'queue',
  dto: QueueEnvDto,
  defaults: { QUEUE_PREFIX: '{metering}', USAGE_QUEUE_SHARDS: '1' },
  // On a Redis Cluster every key of one queue must hash to one slot (BullMQ's scripts touch many).
  check: (values, env) =>
    env.REDIS_CLUSTER_NODES !== undefined && !HASH_TAG.test(values.QUEUE_PREFIX)
      ? [`QUEUE_PREFIX must contain a hash tag such as {metering} when REDIS_CLUSTER_NODES is set (got "${values.QUEUE_PREFIX}")`]
      : [],
  toConfig: (env): QueueConfig => ({ queuePrefix: env.QUEUE_PREFIX, usageQueueShards: env.USAGE_QUEUE_SHARDS }),
});
