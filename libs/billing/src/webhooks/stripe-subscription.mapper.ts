import { SubscriptionStatus, isAgentType } from '@metering/usage';
import type { PerAgent } from '@metering/usage';

/**
 * The parts of a Stripe subscription object we read. Structural, because the period moved from
 * the subscription to its items in API 2025-03-31.basil and webhooks arrive in the endpoint's version.
 */
export interface StripeSubscriptionPayload {
  id: string;
  customer: string | { id: string };
  status: string;
  metadata?: Record<string, string> | null;
  current_period_start?: number;
  current_period_end?: number;
  billing_cycle_anchor?: number;
  items?: {
    data: Array<{
      id: string;
      metadata?: Record<string, string> | null;
      current_period_start?: number;
      current_period_end?: number;
      price?: { id: string; lookup_key?: string | null; metadata?: Record<string, string> | null } | null;
    }>;
  };
}

/** What a subscription event means for our `subscriptions` row. */
export interface SubscriptionChange {
  stripeSubscriptionId: string;
  stripeCustomerId: string;
  status: SubscriptionStatus;
  /** Plan codes to try, in order of preference (subscription metadata, price metadata, lookup key). */
  planCodes: string[];
  periodStart: Date | null;
  periodEnd: Date | null;
  anchorDay: number | null;
  itemIdsByAgent: PerAgent<string>;
}

/**
 * Stripe's statuses onto ours. `unpaid`/`incomplete` still owe money, so usage is still metered and
 * overage still reported (past_due); `paused` bills nothing, like a canceled subscription.
 */
const STATUS_MAP: Record<string, SubscriptionStatus> = {
  trialing: SubscriptionStatus.Trialing,
  active: SubscriptionStatus.Active,
  past_due: SubscriptionStatus.PastDue,
  unpaid: SubscriptionStatus.PastDue,
  incomplete: SubscriptionStatus.PastDue,
  incomplete_expired: SubscriptionStatus.Canceled,
  canceled: SubscriptionStatus.Canceled,
  paused: SubscriptionStatus.Canceled,
};

const fromUnix = (seconds: number | undefined): Date | null => (typeof seconds === 'number' ? new Date(seconds * 1000) : null);

/** Reads a subscription event's object; `deleted` events always cancel. */
export function toSubscriptionChange(subscription: StripeSubscriptionPayload, deleted: boolean): SubscriptionChange {
  const items = subscription.items?.data ?? [];
  const planCodes = [
    subscription.metadata?.plan_code,
    ...items.map((item) => item.price?.metadata?.plan_code ?? item.metadata?.plan_code),
    ...items.map((item) => item.price?.lookup_key),
  ].filter((code): code is string => typeof code === 'string' && code.length > 0);

  const itemIdsByAgent: PerAgent<string> = {};
  for (const item of items) {
    const agent = item.price?.metadata?.agent ?? item.metadata?.agent;
    if (isAgentType(agent)) itemIdsByAgent[agent] = item.id;
  }

  // Before basil the period is on the subscription; since, on each item (they share one period).
  const starts = items.map((i) => i.current_period_start).filter((v): v is number => typeof v === 'number');
  const ends = items.map((i) => i.current_period_end).filter((v): v is number => typeof v === 'number');
  const periodStart = fromUnix(subscription.current_period_start ?? (starts.length > 0 ? Math.min(...starts) : undefined));
  const periodEnd = fromUnix(subscription.current_period_end ?? (ends.length > 0 ? Math.max(...ends) : undefined));
  const anchor = fromUnix(subscription.billing_cycle_anchor) ?? periodStart;

  return {
    stripeSubscriptionId: subscription.id,
    stripeCustomerId: typeof subscription.customer === 'string' ? subscription.customer : subscription.customer.id,
    status: deleted ? SubscriptionStatus.Canceled : (STATUS_MAP[subscription.status] ?? SubscriptionStatus.PastDue),
    planCodes: [...new Set(planCodes)],
    periodStart,
    periodEnd,
    anchorDay: anchor ? anchor.getUTCDate() : null,
    itemIdsByAgent,
  };
}
