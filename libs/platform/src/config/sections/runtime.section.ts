import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { configSection } from '../config-section';

const LOG_LEVEL_DEFAULTS = { production: 'info', development: 'info', test: 'warn' } as const;

class RuntimeEnvDto {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV!: keyof typeof LOG_LEVEL_DEFAULTS;

  /** Default by NODE_ENV: tests log warnings only. */
  @IsOptional() @IsIn(['error', 'warn', 'info', 'http', 'debug', 'silent'])
  LOG_LEVEL?: string;

  @IsInt() @Min(100) @Max(600000)
  SHUTDOWN_TIMEOUT_MS!: number;
}

/** What every process reads: which environment it runs in, how much it logs, its shutdown deadline. */
export interface RuntimeConfig {
  env: 'development' | 'production' | 'test';
  logLevel: string;
  shutdownTimeoutMs: number;
}

export const runtimeSection = configSection({
  name: 'runtime',
  dto: RuntimeEnvDto,
  defaults: { NODE_ENV: 'development', SHUTDOWN_TIMEOUT_MS: '15000' },
  toConfig: (env): RuntimeConfig => ({
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL ?? LOG_LEVEL_DEFAULTS[env.NODE_ENV],
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  }),
});
