import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { configSection } from '../config-section';

class IpLimitEnvDto {
  /** Requests per minute and client IP that no valid credential vouches for (anonymous or failed). */
  @IsInt() @Min(1) @Max(1_000_000)
  IP_RATE_LIMIT_PER_MINUTE!: number;

  /** Express `trust proxy`: false (default), a hop count, or comma-separated proxy addresses/subnets. */
  @IsString() @Matches(/^(false|\d+|[0-9a-fA-F.:/, ]+|loopback|linklocal|uniquelocal)$/, {
    message: 'TRUST_PROXY must be false, a hop count, or proxy addresses / subnets (comma-separated)',
  })
  TRUST_PROXY!: string;
}

/** The per-IP limit in front of authentication, and how the client IP is found. */
export interface IpLimitConfig {
  ipLimit: { perMinute: number; trustProxy: false | number | string };
}

export const ipLimitSection = configSection({
  name: 'ip-limit',
  dto: IpLimitEnvDto,
  defaults: { IP_RATE_LIMIT_PER_MINUTE: '600', TRUST_PROXY: 'false' },
  toConfig: (env): IpLimitConfig => {
    const raw = env.TRUST_PROXY.trim();
    const trustProxy = raw === 'false' ? false : /^\d+$/.test(raw) ? Number(raw) : raw;
    return { ipLimit: { perMinute: env.IP_RATE_LIMIT_PER_MINUTE, trustProxy } };
  },
});
