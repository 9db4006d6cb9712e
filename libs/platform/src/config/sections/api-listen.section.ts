import { IsInt, IsIP, Max, Min } from 'class-validator';
import { configSection } from '../config-section';

class ApiListenEnvDto {
  @IsIP(undefined, { message: 'API_HOST must be an IP address to bind, e.g. 127.0.0.1 or 0.0.0.0' })
  API_HOST!: string;

  /** 0: any free port (printed at start). */
  @IsInt() @Min(0) @Max(65535)
  API_METRICS_PORT!: number;

  @IsIP(undefined, { message: 'API_METRICS_HOST must be an IP address to bind, e.g. 127.0.0.1 or 0.0.0.0' })
  API_METRICS_HOST!: string;
}

/**
 * Where the API listens: the public port, and `/metrics` on a port of its own so it is never
 * served to the internet with the API. Loopback by default; containers set 0.0.0.0.
 */
export interface ApiListenConfig {
  listen: { host: string; metricsPort: number; metricsHost: string };
}

export const apiListenSection = configSection({
  name: 'api-listen',
  dto: ApiListenEnvDto,
  defaults: { API_HOST: '127.0.0.1', API_METRICS_PORT: '9464', API_METRICS_HOST: '127.0.0.1' },
  toConfig: (env): ApiListenConfig => ({ listen: { host: env.API_HOST, metricsPort: env.API_METRICS_PORT, metricsHost: env.API_METRICS_HOST } }),
});
