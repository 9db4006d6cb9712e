import { IsString, MaxLength, MinLength } from 'class-validator';
import { configSection } from '../config-section';

class QueueEnvDto {
  @IsString() @MinLength(1) @MaxLength(64)
  QUEUE_PREFIX!: string;
}

/**
 * The key prefix of the queues and of state every process of a deployment shares (rate limits,
 * the Stripe breaker). Apart from the Redis URL, because the CLI finds its Redis on its own.
 */
export interface QueueConfig {
  queuePrefix: string;
}

export const queueSection = configSection({
  name: 'queue',
  dto: QueueEnvDto,
  defaults: { QUEUE_PREFIX: '{metering}' },
  toConfig: (env): QueueConfig => ({ queuePrefix: env.QUEUE_PREFIX }),
});
