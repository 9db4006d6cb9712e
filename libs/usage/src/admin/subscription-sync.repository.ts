import type { EntityManager } from 'typeorm';
import type { PerAgent } from '../entities/plan.entity';
import type { SubscriptionStatus } from '../entities/subscription.entity';

/** The fields of a tenant's subscription row a Stripe sync reads before it decides what to write. */
export interface SyncedSubscription {
  planId: string | null;
  status: SubscriptionStatus;
  /** The Stripe subscription the row follows; null for a row an operator created. */
  stripeSubscriptionId: string | null;
  currentPeriodStart: Date;
  currentPeriodEnd: Date;
  billingAnchorDay: number;
  /** Creation time of the Stripe event the row was last synced from; null before the first sync. */
  stripeEventCreatedAt: Date | null;
}

/** What a Stripe subscription event sets on the tenant's one subscription row. */
export interface SubscriptionSyncWrite {
  tenantId: string;
  planId: string | null;
  status: SubscriptionStatus;
  currentPeriodStart: Date;
  currentPeriodEnd: Date;
  billingAnchorDay: number;
  stripeSubscriptionId: string;
  /** Merged into the stored items: an event naming one agent's item keeps the others. */
  stripeSubscriptionItemIds: PerAgent<string>;
  stripeEventCreatedAt: Date;
}

const UPSERT_FROM_STRIPE_SQL = `
INSERT INTO subscriptions (tenant_id, plan_id, status, current_period_start, current_period_end, billing_anchor_day,
                           stripe_subscription_id, stripe_subscription_item_ids, stripe_event_created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (tenant_id) DO UPDATE
   SET plan_id = excluded.plan_id, status = excluded.status,
       current_period_start = excluded.current_period_start, current_period_end = excluded.current_period_end,
       billing_anchor_day = excluded.billing_anchor_day, stripe_subscription_id = excluded.stripe_subscription_id,
       stripe_subscription_item_ids = subscriptions.stripe_subscription_item_ids || excluded.stripe_subscription_item_ids,
       stripe_event_created_at = excluded.stripe_event_created_at,
       updated_at = now()`;

/**
 * The subscription writes of the Stripe webhook sync (libs/billing), kept here because libs/usage
 * owns `subscriptions`, `tenants` and `plans`. Works on the caller's EntityManager, so the reads,
 * the row lock and the write share the webhook's transaction.
 */
export class SubscriptionSyncRepository {
  constructor(private readonly manager: EntityManager) {}

  /** The tenant billed through this Stripe customer; null when the customer is not ours. */
  async tenantIdByStripeCustomer(stripeCustomerId: string): Promise<string | null> {
    const [tenant] = (await this.manager.query(`SELECT id FROM tenants WHERE stripe_customer_id = $1`, [stripeCustomerId])) as Array<{ id: string }>;
    return tenant?.id ?? null;
  }

  /** Plan id by code, for the codes that exist. */
  async planIdsByCode(codes: readonly string[]): Promise<Map<string, string>> {
    const plans = (await this.manager.query(`SELECT id, code FROM plans WHERE code = ANY($1)`, [codes])) as Array<{ id: string; code: string }>;
    return new Map(plans.map((plan) => [plan.code, plan.id]));
  }

  /** The tenant's subscription, locked until the transaction ends (FOR UPDATE); null if it has none yet. */
  async lockForSync(tenantId: string): Promise<SyncedSubscription | null> {
    const [row] = (await this.manager.query(
      `SELECT plan_id, status, stripe_subscription_id, current_period_start, current_period_end, billing_anchor_day, stripe_event_created_at
         FROM subscriptions WHERE tenant_id = $1 FOR UPDATE`,
      [tenantId],
    )) as Array<{
      plan_id: string | null;
      status: SubscriptionStatus;
      stripe_subscription_id: string | null;
      current_period_start: Date;
      current_period_end: Date;
      billing_anchor_day: number;
      stripe_event_created_at: Date | null;
    }>;
    if (!row) return null;
    return {
      planId: row.plan_id,
      status: row.status,
      stripeSubscriptionId: row.stripe_subscription_id,
      currentPeriodStart: row.current_period_start,
      currentPeriodEnd: row.current_period_end,
      billingAnchorDay: row.billing_anchor_day,
      stripeEventCreatedAt: row.stripe_event_created_at,
    };
  }

  /** Creates the tenant's subscription row, or overwrites it with what Stripe says. */
  async upsertFromStripe(write: SubscriptionSyncWrite): Promise<void> {
    await this.manager.query(UPSERT_FROM_STRIPE_SQL, [
      write.tenantId,
      write.planId,
      write.status,
      write.currentPeriodStart,
      write.currentPeriodEnd,
      write.billingAnchorDay,
      write.stripeSubscriptionId,
      JSON.stringify(write.stripeSubscriptionItemIds),
      write.stripeEventCreatedAt,
    ]);
  }
}
