import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { isUuid } from '../../uuid';
import { configSection } from '../config-section';

class ApiEnvDto {
  @IsInt() @Min(0) @Max(65535)
  API_PORT!: number;

  @IsString()
  WEB_ORIGIN!: string;

  @IsInt() @Min(1)
  USAGE_RATE_LIMIT_PER_MINUTE!: number;

  @IsInt() @Min(1)
  INGEST_RATE_LIMIT_PER_MINUTE!: number;

  // The usage read's per-tenant memory: at most 1 s (the documented staleness bound), 0 = none.
  @IsInt() @Min(0) @Max(1000)
  USAGE_READ_CACHE_MS!: number;

  @IsOptional() @IsString()
  DEMO_TENANT_ID?: string;
}

/** The HTTP side of the API process. */
export interface ApiHttpConfig {
  api: {
    port: number;
    webOrigin: string;
    usageRateLimitPerMinute: number;
    ingestRateLimitPerMinute: number;
    /** How long a tenant's usage read is reused (<= 1000 ms; 0: every read queries Postgres). */
    usageReadCacheMs: number;
    /** Tenant of `POST /api/v1/dev/token`; unset: the tenant named "Demo tenant". */
    demoTenantId?: string;
  };
}

export const apiSection = configSection({
  name: 'api',
  dto: ApiEnvDto,
  defaults: {
    API_PORT: '3000',
    WEB_ORIGIN: 'http://localhost:5173',
    USAGE_RATE_LIMIT_PER_MINUTE: '10',
    INGEST_RATE_LIMIT_PER_MINUTE: '1200',
    USAGE_READ_CACHE_MS: '1000',
  },
  check: (values) =>
    values.DEMO_TENANT_ID !== undefined && !isUuid(values.DEMO_TENANT_ID) ? ['DEMO_TENANT_ID must be a tenant id (a UUID)'] : [],
  toConfig: (env): ApiHttpConfig => ({
    api: {
      port: env.API_PORT,
      webOrigin: env.WEB_ORIGIN,
      usageRateLimitPerMinute: env.USAGE_RATE_LIMIT_PER_MINUTE,
      ingestRateLimitPerMinute: env.INGEST_RATE_LIMIT_PER_MINUTE,
      usageReadCacheMs: env.USAGE_READ_CACHE_MS,
      demoTenantId: env.DEMO_TENANT_ID?.toLowerCase(),
    },
  }),
});
