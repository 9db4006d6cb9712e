import type { EntityManager } from 'typeorm';
import { SubscriptionStatus, SubscriptionSyncRepository } from '@metering/usage';
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
 * Writes the change into the tenant's one subscription row (created if missing). A change without
 * a known plan keeps the current plan; the period and items are taken from Stripe when it sends them.
 * Returns `stale` (and writes nothing) when the row was already synced from a newer event:
 * Stripe may deliver an older `updated` after a newer one.
 */
export async function applySubscriptionChange(
  manager: EntityManager,
  change: SubscriptionChange,
  resolved: ResolvedChange,
  eventCreatedAt: Date,
): Promise<'applied' | 'stale'> {
  const subscriptions = new SubscriptionSyncRepository(manager);
  const existing = await subscriptions.lockForSync(resolved.tenantId);
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
  return 'applied';
}
