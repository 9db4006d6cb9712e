import type { EntityManager } from 'typeorm';
import { SubscriptionStatus } from '@metering/usage';
import type { SubscriptionChange } from './stripe-subscription.mapper';
import { WebhookUnprocessableError } from './webhook-errors';

/** The tenant and plan a change refers to, resolved before the write transaction. */
export interface ResolvedChange {
  tenantId: string;
  planId: string | null;
}

/** Finds the tenant by Stripe customer and the first plan code that exists; null tenant = not ours. */
export async function resolveChange(manager: EntityManager, change: SubscriptionChange): Promise<ResolvedChange | null> {
  const [tenant] = (await manager.query(`SELECT id FROM tenants WHERE stripe_customer_id = $1`, [change.stripeCustomerId])) as Array<{ id: string }>;
  if (!tenant) return null;
  let planId: string | null = null;
  if (change.planCodes.length > 0) {
    const plans = (await manager.query(`SELECT id, code FROM plans WHERE code = ANY($1)`, [change.planCodes])) as Array<{ id: string; code: string }>;
    const byCode = new Map(plans.map((p) => [p.code, p.id]));
    planId = change.planCodes.map((code) => byCode.get(code)).find((id) => id !== undefined) ?? null;
  }
  return { tenantId: tenant.id, planId };
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
  const [existing] = (await manager.query(
    `SELECT plan_id, current_period_start, current_period_end, billing_anchor_day, stripe_event_created_at
       FROM subscriptions WHERE tenant_id = $1 FOR UPDATE`,
    [resolved.tenantId],
  )) as Array<{
    plan_id: string | null;
    current_period_start: Date;
    current_period_end: Date;
    billing_anchor_day: number;
    stripe_event_created_at: Date | null;
  }>;
  if (existing?.stripe_event_created_at && eventCreatedAt < existing.stripe_event_created_at) return 'stale';
  const planId = resolved.planId ?? existing?.plan_id ?? null;
  const needsPlan = change.status !== SubscriptionStatus.Trialing && change.status !== SubscriptionStatus.Canceled;
  if (needsPlan && !planId) {
    throw new WebhookUnprocessableError(`subscription ${change.stripeSubscriptionId} names no known plan (tried: ${change.planCodes.join(', ') || 'none'})`);
  }
  const periodStart = change.periodStart ?? existing?.current_period_start;
  const periodEnd = change.periodEnd ?? existing?.current_period_end;
  if (!periodStart || !periodEnd) {
    throw new WebhookUnprocessableError(`subscription ${change.stripeSubscriptionId} carries no current period`);
  }
  await manager.query(
    `INSERT INTO subscriptions (tenant_id, plan_id, status, current_period_start, current_period_end, billing_anchor_day,
                                stripe_subscription_id, stripe_subscription_item_ids, stripe_event_created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (tenant_id) DO UPDATE
        SET plan_id = excluded.plan_id, status = excluded.status,
            current_period_start = excluded.current_period_start, current_period_end = excluded.current_period_end,
            billing_anchor_day = excluded.billing_anchor_day, stripe_subscription_id = excluded.stripe_subscription_id,
            stripe_subscription_item_ids = subscriptions.stripe_subscription_item_ids || excluded.stripe_subscription_item_ids,
            stripe_event_created_at = excluded.stripe_event_created_at,
            updated_at = now()`,
    [
      resolved.tenantId,
      planId,
      change.status,
      periodStart,
      periodEnd,
      change.anchorDay ?? existing?.billing_anchor_day ?? periodStart.getUTCDate(),
      change.stripeSubscriptionId,
      JSON.stringify(change.itemIdsByAgent),
      eventCreatedAt,
    ],
  );
  return 'applied';
}
