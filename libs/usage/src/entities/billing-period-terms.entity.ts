import { Check, Column, CreateDateColumn, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import type { PerAgent, PlanLimits } from './plan.entity';
import { Tenant } from './tenant.entity';

/**
 * The plan terms in force for one tenant's billing period, copied from the plan when the period
 * opens. Billing prices the period from this row, so a later plan change never re-prices it
 * (README "Stripe billing": a plan change takes effect at the next period).
 */
@Entity({ name: 'billing_period_terms' })
@Check('chk_billing_period_terms_period', `period_end > period_start`)
export class BillingPeriodTerms {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid', primaryKeyConstraintName: 'pk_billing_period_terms' })
  @ForeignKey(() => Tenant, { name: 'fk_billing_period_terms_tenant', onDelete: 'CASCADE' })
  tenantId!: string;

  @PrimaryColumn({ name: 'period_start', type: 'timestamptz', primaryKeyConstraintName: 'pk_billing_period_terms' })
  periodStart!: Date;

  @Column({ name: 'period_end', type: 'timestamptz' })
  periodEnd!: Date;

  /** The plan the terms were copied from (informational: the copy is what counts). */
  @Column({ name: 'plan_id', type: 'uuid', nullable: true })
  planId!: string | null;

  @Column({ type: 'jsonb', default: {} })
  limits!: PlanLimits;

  @Column({ name: 'overage_unit_cents', type: 'jsonb', default: {} })
  overageUnitCents!: PerAgent<number>;

  @Column({ name: 'meter_event_names', type: 'jsonb', default: {} })
  meterEventNames!: PerAgent<string>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
