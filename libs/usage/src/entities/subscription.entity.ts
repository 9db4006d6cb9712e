import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
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
export class Subscription {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid', unique: true })
  tenantId!: string;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: Tenant;

  /** Null only for a trial without a plan: trial limits from config apply. */
  @Column({ name: 'plan_id', type: 'uuid', nullable: true })
  planId!: string | null;

  @ManyToOne(() => Plan, { nullable: true })
  @JoinColumn({ name: 'plan_id' })
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
  @Column({ name: 'stripe_subscription_item_ids', type: 'jsonb', default: () => "'{}'::jsonb" })
  stripeSubscriptionItemIds!: PerAgent<string>;

  /** Creation time of the Stripe event this row was last synced from; older deliveries are stale. */
  @Column({ name: 'stripe_event_created_at', type: 'timestamptz', nullable: true })
  stripeEventCreatedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
