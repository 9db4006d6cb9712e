import type { DataSource } from 'typeorm';
import type { Clock, Logger, QueueConfig, RedisClient, StripeReportingConfig, UsageRulesConfig } from '@metering/platform';
import { createStripeClient } from '../stripe/stripe-client.factory';
import { OverageReporter } from './overage-reporter.service';

export interface CreateOverageReporterDeps {
  dataSource: DataSource;
  /** Shared breaker state; may be null for dry runs only. */
  redis: RedisClient | null;
  logger: Logger;
  clock?: Clock;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

/**
 * The reporter as every process builds it from config: the real Stripe client (none without
 * STRIPE_SECRET_KEY), breaker keys under the queue prefix so all processes of one deployment share them.
 */
export function createOverageReporter(config: QueueConfig & StripeReportingConfig & UsageRulesConfig, deps: CreateOverageReporterDeps): OverageReporter {
  return new OverageReporter({
    ...deps,
    stripe: createStripeClient(config.stripe),
    config: config.stripe,
    invoiceGraceSeconds: config.usage.invoiceGraceSeconds,
    keyPrefix: `${config.queuePrefix}:stripe`,
  });
}
