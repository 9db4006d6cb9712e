import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';
import { Plan } from './plan.entity';
import type { PerAgent } from './plan.entity';
import { Tenant } from './tenant.entity';

export enum SubscriptionStatus {
  Trialing = 'trialing',
  Active = 'active',
  PastDue = 'past_due',
  Canceled = 'canceled',
}

/** Statuses under which usage is still recorded and shown. */
export const METERED_STATUSES: readonly SubscriptionStatus[] = [
  SubscriptionStatus.Trialing,
  SubscriptionStatus.Active,
  SubscriptionStatus.PastDue,
];

/** One subscription row per tenant, moved forward period by period. */
@Entity({ name: 'subscriptions' })
@Unique('uq_subscriptions_tenant', ['tenantId'])
@Check('chk_subscriptions_status', `status IN ('trialing', 'active', 'past_due', 'canceled')`)
@Check('chk_subscriptions_anchor', `billing_anchor_day BETWEEN 1 AND 31`)
@Check('chk_subscriptions_period', `current_period_end > current_period_start`)
@Check('chk_subscriptions_plan_or_trial', `plan_id IS NOT NULL OR status = 'trialing' OR status = 'canceled'`)
@Index('idx_subscriptions_period_end', ['currentPeriodEnd'], { where: `status <> 'canceled'` })
@Index('uq_subscriptions_stripe', ['stripeSubscriptionId'], { unique: true, where: 'stripe_subscription_id IS NOT NULL' })
export class Subscription {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'fk_subscriptions_tenant' })
  tenant?: Tenant;

  /** Null only for a trial without a plan: trial limits from config apply. */
  @Column({ name: 'plan_id', type: 'uuid', nullable: true })
  planId!: string | null;

  @ManyToOne(() => Plan, { nullable: true })
  @JoinColumn({ name: 'plan_id', foreignKeyConstraintName: 'fk_subscriptions_plan' })
  plan?: Plan | null;

  @Column({ type: 'varchar', length: 16 })
  status!: SubscriptionStatus;

  @Column({ name: 'current_period_start', type: 'timestamptz' })
  currentPeriodStart!: Date;

  @Column({ name: 'current_period_end', type: 'timestamptz' })
  currentPeriodEnd!: Date;

  /** Day of month (1-31) periods start on; clamped to shorter months. */
  @Column({ name: 'billing_anchor_day', type: 'smallint' })
  billingAnchorDay!: number;

  @Column({ name: 'stripe_subscription_id', type: 'varchar', length: 255, nullable: true })
  stripeSubscriptionId!: string | null;

  /** Stripe subscription item per agent, for accounts on the legacy usage-records API. */
  @Column({ name: 'stripe_subscription_item_ids', type: 'jsonb', default: {} })
  stripeSubscriptionItemIds!: PerAgent<string>;

  /** Creation time of the Stripe event this row was last synced from; older deliveries are stale. */
  @Column({ name: 'stripe_event_created_at', type: 'timestamptz', nullable: true })
  stripeEventCreatedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
