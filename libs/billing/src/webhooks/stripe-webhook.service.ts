import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from '@metering/platform';
import { billingOperatorAlertsTotal, stripeWebhooksTotal } from '../metrics/billing-metrics';
import { stripeWebhooks } from '../stripe/stripe-client.factory';
import { toSubscriptionChange } from './stripe-subscription.mapper';
import type { StripeSubscriptionPayload } from './stripe-subscription.mapper';
import { applySubscriptionChange, resolveChange } from './subscription-sync';
import { WebhookNotConfiguredError, WebhookSignatureError } from './webhook-errors';

const SUBSCRIPTION_EVENTS = new Set(['customer.subscription.created', 'customer.subscription.updated', 'customer.subscription.deleted']);
export const METER_ERROR_REPORT_EVENT = 'v1.billing.meter.error_report_triggered';

/**
 * `applied`: changed our data; `duplicate`: already applied; `stale`: older than the change already
 * applied (recorded, not applied); `ignored`: not for us or not handled.
 */
export interface WebhookOutcome {
  status: 'applied' | 'duplicate' | 'stale' | 'ignored';
  eventId: string;
  type: string;
}

interface VerifiedEvent {
  id: string;
  type: string;
  /** Unix seconds (v1 events) or an ISO string (v2 thin events). */
  created?: number | string;
  object?: string;
  data?: { object?: unknown };
  related_object?: { id?: string; type?: string } | null;
}

/**
 * Verifies and applies Stripe webhook deliveries. Each applied event id is inserted into
 * `stripe_webhook_events` in the same transaction as its effect, so a redelivery (or two at once)
 * changes nothing the second time.
 */
export class StripeWebhookService {
  constructor(private readonly deps: { dataSource: DataSource; webhookSecret?: string; logger: Logger }) {}

  /** `rawBody` must be the exact bytes Stripe sent: the signature covers them. */
  async handle(rawBody: Buffer, signature: string | undefined): Promise<WebhookOutcome> {
    const event = this.verify(rawBody, signature);
    const outcome = await this.dispatch(event);
    stripeWebhooksTotal.inc({ type: event.type, outcome: outcome.status });
    return outcome;
  }

  private verify(rawBody: Buffer, signature: string | undefined): VerifiedEvent {
    const secret = this.deps.webhookSecret;
    if (!secret) throw new WebhookNotConfiguredError();
    if (!signature) throw new WebhookSignatureError('Missing Stripe-Signature header');
    try {
      // Thin events (v2 notifications such as the meter error report) are signed the same way,
      // but constructEvent refuses them; verify the header, then parse.
      if (rawBody.includes('"v2.core.event"')) {
        if (!stripeWebhooks.signature) throw new Error('stripe-node has no signature helper');
        stripeWebhooks.signature.verifyHeader(rawBody, signature, secret);
        return JSON.parse(rawBody.toString('utf8')) as VerifiedEvent;
      }
      return stripeWebhooks.constructEvent(rawBody, signature, secret) as unknown as VerifiedEvent;
    } catch (error) {
      throw new WebhookSignatureError(`Stripe signature verification failed: ${(error as Error).message}`);
    }
  }

  private async dispatch(event: VerifiedEvent): Promise<WebhookOutcome> {
    const base = { eventId: event.id, type: event.type };
    if (SUBSCRIPTION_EVENTS.has(event.type)) {
      const change = toSubscriptionChange(event.data?.object as StripeSubscriptionPayload, event.type === 'customer.subscription.deleted');
      const resolved = await resolveChange(this.deps.dataSource.manager, change);
      if (!resolved) {
        this.deps.logger.info(`Stripe ${event.type} ${event.id} ignored: customer ${change.stripeCustomerId} is not a tenant here`);
        return { ...base, status: 'ignored' };
      }
      const result: { applied?: Awaited<ReturnType<typeof applySubscriptionChange>> } = {};
      const claimed = await this.once(event, async (manager) => {
        result.applied = await applySubscriptionChange(manager, change, resolved, createdAt(event));
      });
      const applied = result.applied;
      if (!claimed) return { ...base, status: 'duplicate' };
      if (applied === 'other_subscription') {
        this.deps.logger.warn(
          `Stripe ${event.type} ${event.id} ignored: subscription ${change.stripeSubscriptionId} is not the one tenant ${resolved.tenantId} follows`,
        );
        return { ...base, status: 'ignored' };
      }
      const stale = applied === 'stale';
      if (stale) {
        this.deps.logger.info(`Stripe ${event.type} ${event.id} not applied: tenant ${resolved.tenantId} already has a newer change`);
        return { ...base, status: 'stale' };
      }
      this.deps.logger.info(`Stripe ${event.type} ${event.id} applied to tenant ${resolved.tenantId}: status ${change.status}`);
      return { ...base, status: 'applied' };
    }
    if (event.type === METER_ERROR_REPORT_EVENT) {
      const applied = await this.once(event, async () => {
        billingOperatorAlertsTotal.inc({ kind: 'meter_error_report' });
        this.deps.logger.error(
          `Stripe reported invalid meter events (${event.id}, meter ${event.related_object?.id ?? 'unknown'}): ` +
            'check the meter error report in the Stripe dashboard and the stripe_usage_reports ledger',
        );
      });
      return { ...base, status: applied ? 'applied' : 'duplicate' };
    }
    return { ...base, status: 'ignored' };
  }

  /** Runs `apply` in a transaction that first claims the event id; false if it was already claimed. */
  private async once(event: VerifiedEvent, apply: (manager: EntityManager) => Promise<void>): Promise<boolean> {
    return this.deps.dataSource.transaction(async (manager) => {
      const claimed = (await manager.query(
        `INSERT INTO stripe_webhook_events (id, type) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING id`,
        [event.id, event.type.slice(0, 100)],
      )) as unknown[];
      if (claimed.length === 0) return false;
      await apply(manager);
      return true;
    });
  }
}

/** When Stripe created the event; events without a usable time sort as "now". */
function createdAt(event: VerifiedEvent): Date {
  const value = typeof event.created === 'number' ? new Date(event.created * 1000) : new Date(event.created ?? Date.now());
  return Number.isNaN(value.getTime()) ? new Date() : value;
}
