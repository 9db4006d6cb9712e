import { BrokenCircuitError, ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import type { RetryPolicy } from 'cockatiel';
import type { Logger } from '@metering/platform';
import { stripeReportFailuresTotal, stripeRequestDuration } from '../metrics/billing-metrics';
import type { RedisCircuitBreaker } from '../resilience/redis-circuit-breaker';
import type { RequestRateLimiter } from '../resilience/request-rate-limiter';
import type { StripeClient } from '../stripe/stripe-client.factory';
import { classifyStripeError, stripeErrorMessage } from '../stripe/stripe-error.classifier';
import type { PendingReport } from './usage-ledger.repository';

/**
 * Stripe removed usage records in 2025-03-31.basil; accounts still on them are pinned to an older
 * version, so the legacy request names the last version that has the endpoint.
 */
export const LEGACY_USAGE_RECORDS_API_VERSION = '2025-02-24.acacia';

export type UsageApi = 'meter_events' | 'usage_records';

export type SendResult =
  | { outcome: 'sent'; attempts: number }
  | { outcome: 'failed'; attempts: number; message: string }
  | { outcome: 'deferred'; attempts: number; message: string; circuitOpen: boolean };

export interface UsageReportSenderOptions {
  usageApi: UsageApi;
  /** Total HTTP attempts per row in one run, the first included. */
  maxAttempts: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
}

/**
 * Sends one ledger row to Stripe: rate-limited, each attempt under the shared circuit breaker,
 * transient failures retried with exponential backoff (cockatiel). The row's identifier is both
 * the meter event `identifier` and the `Idempotency-Key`, so a re-send is counted once.
 */
export class UsageReportSender {
  private readonly retryPolicy: RetryPolicy;

  constructor(
    private readonly stripe: StripeClient,
    private readonly breaker: RedisCircuitBreaker,
    private readonly rateLimiter: RequestRateLimiter,
    private readonly options: UsageReportSenderOptions,
    private readonly logger: Logger,
  ) {
    const retriable = (error: Error): boolean => !(error instanceof BrokenCircuitError) && classifyStripeError(error) === 'transient';
    this.retryPolicy = retry(handleWhen(retriable), {
      maxAttempts: Math.max(0, options.maxAttempts - 1),
      backoff: new ExponentialBackoff({ initialDelay: options.backoffInitialMs, maxDelay: options.backoffMaxMs }),
    });
  }

  async send(report: PendingReport): Promise<SendResult> {
    let attempts = 0;
    try {
      await this.retryPolicy.execute(() =>
        this.breaker.execute(
          async () => {
            await this.rateLimiter.acquire();
            attempts += 1;
            await this.timedRequest(report);
          },
          (error) => classifyStripeError(error) === 'transient',
        ),
      );
      return { outcome: 'sent', attempts };
    } catch (error) {
      if (error instanceof BrokenCircuitError) return { outcome: 'deferred', attempts, message: error.message, circuitOpen: true };
      const message = stripeErrorMessage(error);
      if (classifyStripeError(error) === 'permanent') return { outcome: 'failed', attempts, message };
      return { outcome: 'deferred', attempts, message, circuitOpen: false };
    }
  }

  private async timedRequest(report: PendingReport): Promise<void> {
    const endpoint = this.options.usageApi;
    const stopTimer = stripeRequestDuration.startTimer({ endpoint });
    try {
      await this.request(report);
      stopTimer({ outcome: 'ok' });
    } catch (error) {
      const kind = classifyStripeError(error);
      stopTimer({ outcome: kind });
      stripeReportFailuresTotal.inc({ kind });
      this.logger.warn(`Stripe ${endpoint} request for ${report.identifier} failed (${kind}): ${stripeErrorMessage(error)}`);
      throw error;
    }
  }

  private async request(report: PendingReport): Promise<void> {
    const timestamp = Math.floor(report.eventTimestamp.getTime() / 1000);
    if (this.options.usageApi === 'usage_records') {
      await this.stripe.rawRequest(
        'POST',
        `/v1/subscription_items/${encodeURIComponent(report.subscriptionItemId ?? '')}/usage_records`,
        { quantity: report.delta, timestamp, action: 'increment' },
        { idempotencyKey: report.identifier, apiVersion: LEGACY_USAGE_RECORDS_API_VERSION },
      );
      return;
    }
    await this.stripe.billing.meterEvents.create(
      {
        event_name: report.meterEventName ?? '',
        payload: { stripe_customer_id: report.stripeCustomerId ?? '', value: String(report.delta) },
        identifier: report.identifier,
        timestamp,
      },
      { idempotencyKey: report.identifier },
    );
  }
}
