import Stripe from 'stripe';
import type { StripeReportingConfig } from '@metering/platform';

/** The stripe-node client type. */
export type StripeClient = Stripe.Stripe;

/**
 * The real stripe-node client for `config`, or null when no secret key is configured (reporting is
 * then disabled). `apiBase` (e.g. `http://127.0.0.1:12111`) points it at another server: a local
 * Stripe stand-in in tests, a proxy in production.
 *
 * The client's own network retries are off: retries, backoff and the circuit breaker are ours, so
 * every attempt is counted and the breaker sees each failure.
 */
export function createStripeClient(config: StripeReportingConfig['stripe']): StripeClient | null {
  if (!config.secretKey) return null;
  const base = config.apiBase ? new URL(config.apiBase) : undefined;
  return new Stripe(config.secretKey, {
    maxNetworkRetries: 0,
    timeout: config.timeoutMs,
    ...(base && {
      host: base.hostname,
      port: base.port || (base.protocol === 'https:' ? 443 : 80),
      protocol: base.protocol === 'http:' ? 'http' : 'https',
    }),
    appInfo: { name: 'usage-metering' },
  });
}

/** Verifies a webhook signature without an API key (the signing secret is all it needs). */
export const stripeWebhooks = Stripe.webhooks;
