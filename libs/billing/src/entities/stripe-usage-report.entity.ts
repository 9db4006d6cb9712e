import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';
import { bigintAsNumber } from '@metering/platform';
import { Tenant } from '@metering/usage';
import type { AgentType } from '@metering/usage';

export enum StripeReportStatus {
  Pending = 'pending',
  Sent = 'sent',
  Failed = 'failed',
  /** Taken back with a meter event adjustment (within 24 h of Stripe receiving it). */
  Cancelled = 'cancelled',
}

/** `overage`: part of what the ledger says is owed; `resend`: restores an event Stripe lost. */
export type StripeReportPurpose = 'overage' | 'resend';

/**
 * The ledger of overage told to Stripe. A row is written `pending` before the call and marked
 * `sent` after it; a resend reuses `identifier`, so Stripe counts it once.
 */
@Entity({ name: 'stripe_usage_reports' })
@Check('chk_stripe_usage_reports_cumulative', `cumulative_quantity >= 0`)
@Check('chk_stripe_usage_reports_delta', `delta <> 0`)
@Check('chk_stripe_usage_reports_status', `status IN ('pending', 'sent', 'failed', 'cancelled')`)
@Check('chk_stripe_usage_reports_purpose', `purpose IN ('overage', 'resend')`)
@Unique('uq_stripe_usage_reports_identifier', ['identifier'])
@Index('idx_stripe_usage_reports_tenant_period', ['tenantId', 'agent', 'periodStart'])
@Index('idx_stripe_usage_reports_pending', ['status'], { where: `status = 'pending'` })
export class StripeUsageReport {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  @ForeignKey(() => Tenant, { name: 'fk_stripe_usage_reports_tenant', onDelete: 'CASCADE' })
  tenantId!: string;

  @Column({ type: 'varchar', length: 16 })
  agent!: AgentType;

  @Column({ name: 'period_start', type: 'timestamptz' })
  periodStart!: Date;

  @Column({ name: 'period_end', type: 'timestamptz' })
  periodEnd!: Date;

  /** Total overage of the period reported once this row is sent. */
  @Column({ name: 'cumulative_quantity', type: 'bigint', transformer: bigintAsNumber })
  cumulativeQuantity!: number;

  /** What this row adds to Stripe's total; negative when a correction lowered the overage. */
  @Column({ type: 'bigint', transformer: bigintAsNumber })
  delta!: number;

  /** Deterministic: tenant, agent, period and cumulative quantity. Also the Idempotency-Key. */
  @Column({ type: 'varchar', length: 100 })
  identifier!: string;

  @Column({ name: 'meter_event_name', type: 'varchar', length: 100, nullable: true })
  meterEventName!: string | null;

  @Column({ name: 'stripe_customer_id', type: 'varchar', length: 255, nullable: true })
  stripeCustomerId!: string | null;

  /** The meter event timestamp sent to Stripe; always inside the period. */
  @Column({ name: 'event_timestamp', type: 'timestamptz' })
  eventTimestamp!: Date;

  @Column({ type: 'varchar', length: 16 })
  status!: StripeReportStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt!: Date | null;

  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true })
  cancelledAt!: Date | null;

  @Column({ type: 'varchar', length: 16, default: 'overage' })
  purpose!: StripeReportPurpose;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
