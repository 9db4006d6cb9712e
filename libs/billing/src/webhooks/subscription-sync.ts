import type { EntityManager } from 'typeorm';
import { PeriodTermsRepository, SubscriptionStatus, SubscriptionSyncRepository } from '@metering/usage';
import type { SyncedSubscription } from '@metering/usage';
import type { SubscriptionChange } from './stripe-subscription.mapper';
import { WebhookUnprocessableError } from './webhook-errors';

/** The tenant and plan a change refers to, resolved before the write transaction. */
export interface ResolvedChange {
  tenantId: string;
  planId: string | null;
}

/** Finds the tenant by Stripe customer and the first plan code that exists; null tenant = not ours. */
export async function resolveChange(manager: EntityManager, change: SubscriptionChange): Promise<ResolvedChange | null> {
  const subscriptions = new SubscriptionSyncRepository(manager);
  const tenantId = await subscriptions.tenantIdByStripeCustomer(change.stripeCustomerId);
  if (!tenantId) return null;
  let planId: string | null = null;
  if (change.planCodes.length > 0) {
    const byCode = await subscriptions.planIdsByCode(change.planCodes);
    planId = change.planCodes.map((code) => byCode.get(code)).find((id) => id !== undefined) ?? null;
  }
  return { tenantId, planId };
}

/**
 * Whether a change is about the subscription the tenant's row follows. The row follows one Stripe
 * subscription (by id); an event about another one of the same customer (an old, replaced one, or
 * a second one) changes nothing, except that a live subscription may take over a row whose own
 * subscription is canceled, or a row no Stripe subscription was linked to yet.
 */
function isAboutFollowedSubscription(existing: SyncedSubscription | null, change: SubscriptionChange): boolean {
  if (!existing?.stripeSubscriptionId || existing.stripeSubscriptionId === change.stripeSubscriptionId) return true;
  return existing.status === SubscriptionStatus.Canceled && change.status !== SubscriptionStatus.Canceled;
}

/**
 * Writes the change into the tenant's one subscription row (created if missing). A change without
 * a known plan keeps the current plan; the period and items are taken from Stripe when it sends them.
 * Returns `stale` (and writes nothing) when the row was already synced from a newer event:
 * Stripe may deliver an older `updated` after a newer one; `other_subscription` (and writes
 * nothing) when the event is about a subscription the row does not follow.
 * A plan change takes effect at the next period: the open period keeps the terms it opened with.
 * When Stripe moves the period start into the open period, that period ends there with prorated quotas.
 */
export async function applySubscriptionChange(
  manager: EntityManager,
  change: SubscriptionChange,
  resolved: ResolvedChange,
  eventCreatedAt: Date,
): Promise<'applied' | 'stale' | 'other_subscription'> {
  const subscriptions = new SubscriptionSyncRepository(manager);
  const terms = new PeriodTermsRepository(manager);
  const existing = await subscriptions.lockForSync(resolved.tenantId);
  if (!isAboutFollowedSubscription(existing, change)) return 'other_subscription';
  if (existing?.stripeEventCreatedAt && eventCreatedAt < existing.stripeEventCreatedAt) return 'stale';
  const planId = resolved.planId ?? existing?.planId ?? null;
  const needsPlan = change.status !== SubscriptionStatus.Trialing && change.status !== SubscriptionStatus.Canceled;
  if (needsPlan && !planId) {
    throw new WebhookUnprocessableError(`subscription ${change.stripeSubscriptionId} names no known plan (tried: ${change.planCodes.join(', ') || 'none'})`);
  }
  const periodStart = change.periodStart ?? existing?.currentPeriodStart;
  const periodEnd = change.periodEnd ?? existing?.currentPeriodEnd;
  if (!periodStart || !periodEnd) {
    throw new WebhookUnprocessableError(`subscription ${change.stripeSubscriptionId} carries no current period`);
  }
  if (existing) {
    // The period the row is in now keeps the terms it opened with, whatever this change says.
    await terms.snapshotCurrentPeriod(resolved.tenantId);
    const start = existing.currentPeriodStart.getTime();
    if (periodStart.getTime() > start && periodStart.getTime() < existing.currentPeriodEnd.getTime()) {
      await terms.truncatePeriod(resolved.tenantId, existing.currentPeriodStart, periodStart);
    }
  }
  await subscriptions.upsertFromStripe({
    tenantId: resolved.tenantId,
    planId,
    status: change.status,
    currentPeriodStart: periodStart,
    currentPeriodEnd: periodEnd,
    billingAnchorDay: change.anchorDay ?? existing?.billingAnchorDay ?? periodStart.getUTCDate(),
    stripeSubscriptionId: change.stripeSubscriptionId,
    stripeSubscriptionItemIds: change.itemIdsByAgent,
    stripeEventCreatedAt: eventCreatedAt,
  });
  await terms.snapshotCurrentPeriod(resolved.tenantId);
  return 'applied';
}
