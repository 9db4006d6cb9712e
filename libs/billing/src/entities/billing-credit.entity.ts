import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { bigintAsNumber } from '@metering/platform';
import { Tenant } from '@metering/usage';
import type { AgentType } from '@metering/usage';

export type BillingCreditStatus = 'open' | 'settled';

/**
 * Overage Stripe billed on a final invoice that a correction took back. Nothing can be sent for
 * a final invoice, so an operator issues the credit (credit note, balance) and marks it settled.
 */
@Entity({ name: 'billing_credits' })
@Check('chk_billing_credits_quantity', `quantity > 0`)
@Check('chk_billing_credits_amount', `amount_cents >= 0`)
@Check('chk_billing_credits_status', `status IN ('open', 'settled')`)
@Unique('uq_billing_credits_owed', ['tenantId', 'agent', 'periodStart', 'owedQuantity'])
@Index('idx_billing_credits_open', ['createdAt'], { where: `status = 'open'` })
export class BillingCredit {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  @ForeignKey(() => Tenant, { name: 'fk_billing_credits_tenant', onDelete: 'CASCADE' })
  tenantId!: string;

  @Column({ type: 'varchar', length: 16 })
  agent!: AgentType;

  @Column({ name: 'period_start', type: 'timestamptz' })
  periodStart!: Date;

  @Column({ name: 'period_end', type: 'timestamptz' })
  periodEnd!: Date;

  /** Overage units billed too many. */
  @Column({ type: 'bigint', transformer: bigintAsNumber })
  quantity!: number;

  /** quantity x the period's unit price. */
  @Column({ name: 'amount_cents', type: 'bigint', transformer: bigintAsNumber })
  amountCents!: number;

  /** What the ledger had told Stripe, and the overage the corrected counter owes. */
  @Column({ name: 'reported_quantity', type: 'bigint', transformer: bigintAsNumber })
  reportedQuantity!: number;

  @Column({ name: 'owed_quantity', type: 'bigint', transformer: bigintAsNumber })
  owedQuantity!: number;

  @Column({ type: 'varchar', length: 16, default: 'open' })
  status!: BillingCreditStatus;

  @Column({ name: 'settled_at', type: 'timestamptz', nullable: true })
  settledAt!: Date | null;

  @Column({ name: 'settled_by', type: 'varchar', length: 255, nullable: true })
  settledBy!: string | null;

  @Column({ name: 'settlement_note', type: 'text', nullable: true })
  settlementNote!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
