import { randomBytes } from 'node:crypto';
import type { BillingPeriod } from '@metering/usage';

export interface StripeSubscriptionEventSeed {
  type: 'customer.subscription.created' | 'customer.subscription.updated' | 'customer.subscription.deleted';
  customer: string;
  period: BillingPeriod;
  /** Subscription items: id and price (with `metadata.plan_code` or `metadata.agent`). */
  items: Array<{ id: string; price: Record<string, unknown> }>;
  status?: string;
  /** Fields of the subscription object to replace. */
  overrides?: Record<string, unknown>;
}

const unix = (date: Date): number => Math.floor(date.getTime() / 1000);

/** A Stripe `customer.subscription.*` webhook event as Stripe sends it (before signing). */
export function stripeSubscriptionEvent(seed: StripeSubscriptionEventSeed): Record<string, unknown> {
  return {
    id: `evt_test_${randomBytes(8).toString('hex')}`,
    object: 'event',
    type: seed.type,
    created: Math.floor(Date.now() / 1000),
    data: {
      object: {
        id: `sub_${seed.customer}`,
        object: 'subscription',
        customer: seed.customer,
        status: seed.status ?? 'past_due',
        metadata: {},
        billing_cycle_anchor: unix(seed.period.start),
        items: {
          data: seed.items.map((item) => ({
            ...item,
            current_period_start: unix(seed.period.start),
            current_period_end: unix(seed.period.end),
          })),
        },
        ...seed.overrides,
      },
    },
  };
}
