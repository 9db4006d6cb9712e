import { IsString, Matches } from 'class-validator';
import { configSection } from '../config-section';

class RedisEnvDto {
  @IsString()
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL!: string;
}

/** The Redis a long-running process connects to at start-up. */
export interface RedisConfig {
  redis: { url: string };
}

export const redisSection = configSection({
  name: 'redis',
  dto: RedisEnvDto,
  toConfig: (env): RedisConfig => ({ redis: { url: env.REDIS_URL } }),
});
