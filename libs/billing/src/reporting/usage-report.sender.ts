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
    return (await this.call(this.options.usageApi, report.identifier, () => this.request(report))).result;
  }

  /**
   * Cancels a meter event by its identifier (`POST /v1/billing/meter_event_adjustments`, type
   * cancel). Stripe only cancels events it received less than 24 hours ago.
   */
  async cancel(report: Pick<PendingReport, 'identifier' | 'meterEventName'>): Promise<SendResult> {
    const request = () =>
      this.stripe.billing.meterEventAdjustments.create(
        { event_name: report.meterEventName ?? '', type: 'cancel', cancel: { identifier: report.identifier } },
        { idempotencyKey: `cancel_${report.identifier}` },
      );
    return (await this.call('meter_event_adjustments', report.identifier, request)).result;
  }

  /** Stripe's summed value of one customer's meter over [start, end) (minute-aligned), or why not. */
  async summarize(meterId: string, customer: string, start: Date, end: Date): Promise<{ result: SendResult; value?: number }> {
    const request = async (): Promise<number> => {
      let total = 0;
      const summaries = this.stripe.billing.meters.listEventSummaries(meterId, {
        customer,
        start_time: Math.floor(start.getTime() / 1000),
        end_time: Math.floor(end.getTime() / 1000),
        limit: 100,
      });
      for await (const summary of summaries) total += summary.aggregated_value;
      return total;
    };
    return this.call('event_summaries', `${meterId} ${customer}`, request);
  }

  /** Meter ids by event name (`GET /v1/billing/meters`), or why not. */
  async meterIds(): Promise<{ result: SendResult; value?: Map<string, string> }> {
    return this.call('meters', 'meter list', async () => {
      const ids = new Map<string, string>();
      for await (const meter of this.stripe.billing.meters.list({ limit: 100 })) ids.set(meter.event_name, meter.id);
      return ids;
    });
  }

  /** One Stripe call: rate-limited, under the breaker, transient failures retried with backoff. */
  private async call<T>(endpoint: string, label: string, request: () => Promise<T>): Promise<{ result: SendResult; value?: T }> {
    let attempts = 0;
    try {
      const value = await this.retryPolicy.execute(() =>
        this.breaker.execute(
          async () => {
            await this.rateLimiter.acquire();
            attempts += 1;
            return this.timedRequest(endpoint, label, request);
          },
          (error) => classifyStripeError(error) === 'transient',
        ),
      );
      return { result: { outcome: 'sent', attempts }, value };
    } catch (error) {
      if (error instanceof BrokenCircuitError) return { result: { outcome: 'deferred', attempts, message: error.message, circuitOpen: true } };
      const message = stripeErrorMessage(error);
      if (classifyStripeError(error) === 'permanent') return { result: { outcome: 'failed', attempts, message } };
      return { result: { outcome: 'deferred', attempts, message, circuitOpen: false } };
    }
  }

  private async timedRequest<T>(endpoint: string, label: string, request: () => Promise<T>): Promise<T> {
    const stopTimer = stripeRequestDuration.startTimer({ endpoint });
    try {
      const value = await request();
      stopTimer({ outcome: 'ok' });
      return value;
    } catch (error) {
      const kind = classifyStripeError(error);
      stopTimer({ outcome: kind });
      stripeReportFailuresTotal.inc({ kind });
      this.logger.warn(`Stripe ${endpoint} request for ${label} failed (${kind}): ${stripeErrorMessage(error)}`);
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
