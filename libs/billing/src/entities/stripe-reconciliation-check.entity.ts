import { Check, Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn, CreateDateColumn } from 'typeorm';
import { bigintAsNumber } from '@metering/platform';
import { Tenant } from '@metering/usage';
import type { AgentType } from '@metering/usage';

/**
 * `matched`: Stripe holds what the ledger sent; `resent`: Stripe was lower, the gap was re-sent;
 * `stripe_higher`: Stripe holds more (never fixed automatically); `unbilled`: Stripe was lower on a
 * final invoice, so a re-send could no longer be billed (an operator bills it by hand).
 */
export type StripeCheckOutcome = 'matched' | 'resent' | 'stripe_higher' | 'unbilled';

/** One comparison of Stripe's meter event summary for a (customer, meter, period) with the ledger. */
@Entity({ name: 'stripe_reconciliation_checks' })
@Check('chk_stripe_reconciliation_checks_outcome', `outcome IN ('matched', 'resent', 'stripe_higher', 'unbilled')`)
@Index('idx_stripe_reconciliation_checks_period', ['tenantId', 'agent', 'periodStart'])
export class StripeReconciliationCheck {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  @ForeignKey(() => Tenant, { name: 'fk_stripe_reconciliation_checks_tenant', onDelete: 'CASCADE' })
  tenantId!: string;

  @Column({ type: 'varchar', length: 16 })
  agent!: AgentType;

  @Column({ name: 'period_start', type: 'timestamptz' })
  periodStart!: Date;

  @Column({ name: 'period_end', type: 'timestamptz' })
  periodEnd!: Date;

  @Column({ name: 'meter_id', type: 'varchar', length: 255 })
  meterId!: string;

  /** Sum of the overage deltas the ledger has as sent. */
  @Column({ name: 'ledger_quantity', type: 'bigint', transformer: bigintAsNumber })
  ledgerQuantity!: number;

  /** Stripe's aggregated_value (a float in Stripe's API). */
  @Column({ name: 'stripe_quantity', type: 'double precision' })
  stripeQuantity!: number;

  @Column({ type: 'varchar', length: 16 })
  outcome!: StripeCheckOutcome;

  @Column({ name: 'resend_identifier', type: 'varchar', length: 100, nullable: true })
  resendIdentifier!: string | null;

  @CreateDateColumn({ name: 'checked_at', type: 'timestamptz' })
  checkedAt!: Date;
}
