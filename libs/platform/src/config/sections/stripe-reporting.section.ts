import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
import { configSection } from '../config-section';

const URL_OPTIONS = { require_tld: false, require_protocol: true } as const;

class StripeReportingEnvDto {
  @IsOptional() @IsString() @Matches(/^(sk|rk)_/, { message: 'STRIPE_SECRET_KEY must start with sk_ or rk_' })
  STRIPE_SECRET_KEY?: string;

  @IsOptional() @IsUrl(URL_OPTIONS, { message: 'STRIPE_API_BASE must be a URL such as http://127.0.0.1:12111' })
  STRIPE_API_BASE?: string;

  @IsIn(['meter_events', 'usage_records'])
  STRIPE_USAGE_API!: 'meter_events' | 'usage_records';

  @IsInt() @Min(1) @Max(100)
  STRIPE_BREAKER_THRESHOLD!: number;

  @IsInt() @Min(1000)
  STRIPE_BREAKER_OPEN_MS!: number;

  @IsInt() @Min(1) @Max(1000)
  STRIPE_MAX_REQUESTS_PER_SECOND!: number;

  @IsInt() @Min(1) @Max(100)
  STRIPE_MAX_ATTEMPTS!: number;

  /** Customers reported in parallel (calls for one customer and meter are always one at a time). */
  @IsInt() @Min(1) @Max(1000)
  STRIPE_CONCURRENCY!: number;

  @IsInt() @Min(100) @Max(120000)
  STRIPE_TIMEOUT_MS!: number;

  /**
   * Stripe's meter event summaries are eventually consistent: a (customer, meter, period) is
   * compared with the ledger only when nothing was sent or cancelled for it this long ago.
   */
  @IsInt() @Min(0) @Max(86_400)
  STRIPE_RECONCILE_SETTLE_SECONDS!: number;
}

/** Overage reporting to Stripe (the daily worker job and `npm run usage -- report-overage`). */
export interface StripeReportingConfig {
  stripe: {
    /** Unset: reporting is disabled. */
    secretKey?: string;
    apiBase?: string;
    usageApi: 'meter_events' | 'usage_records';
    breakerThreshold: number;
    breakerOpenMs: number;
    maxRequestsPerSecond: number;
    maxAttempts: number;
    concurrency: number;
    timeoutMs: number;
    /** Stripe reconciliation skips periods with a send or cancel younger than this. */
    reconcileSettleSeconds: number;
  };
}

export const stripeReportingSection = configSection({
  name: 'stripe-reporting',
  dto: StripeReportingEnvDto,
  defaults: {
    STRIPE_USAGE_API: 'meter_events',
    STRIPE_BREAKER_THRESHOLD: '5',
    STRIPE_BREAKER_OPEN_MS: '900000',
    STRIPE_MAX_REQUESTS_PER_SECOND: '100',
    STRIPE_MAX_ATTEMPTS: '4',
    STRIPE_CONCURRENCY: '20',
    STRIPE_TIMEOUT_MS: '20000',
    STRIPE_RECONCILE_SETTLE_SECONDS: '3600',
  },
  toConfig: (env): StripeReportingConfig => ({
    stripe: {
      secretKey: env.STRIPE_SECRET_KEY,
      apiBase: env.STRIPE_API_BASE,
      usageApi: env.STRIPE_USAGE_API,
      breakerThreshold: env.STRIPE_BREAKER_THRESHOLD,
      breakerOpenMs: env.STRIPE_BREAKER_OPEN_MS,
      maxRequestsPerSecond: env.STRIPE_MAX_REQUESTS_PER_SECOND,
      maxAttempts: env.STRIPE_MAX_ATTEMPTS,
      concurrency: env.STRIPE_CONCURRENCY,
      timeoutMs: env.STRIPE_TIMEOUT_MS,
      reconcileSettleSeconds: env.STRIPE_RECONCILE_SETTLE_SECONDS,
    },
  }),
});
