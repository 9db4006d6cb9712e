import { Check, Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** Monthly quotas keyed `emails_per_month` etc.; a missing or null key means unlimited. */
export type PlanLimits = Record<string, number | null>;
/** Per-agent values keyed by agent (`inbox`, `invoice`, `meeting`). */
export type PerAgent<T> = Partial<Record<string, T>>;
/** What happens at 100% of a limit: `overage` (allowed and billed, the default) or `block` (refused). */
export type LimitPolicy = 'overage' | 'block';

@Entity({ name: 'plans' })
@Unique('uq_plans_code', ['code'])
@Check('chk_plans_limits_object', `jsonb_typeof(limits) = 'object'`)
@Check('chk_plans_overage_object', `jsonb_typeof(overage_unit_cents) = 'object'`)
@Check('chk_plans_limit_policies_object', `jsonb_typeof(limit_policies) = 'object'`)
export class Plan {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  code!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'jsonb', default: {} })
  limits!: PlanLimits;

  /** Price of one unit of overage per agent, in integer cents. */
  @Column({ name: 'overage_unit_cents', type: 'jsonb', default: {} })
  overageUnitCents!: PerAgent<number>;

  /** Stripe Billing meter `event_name` per agent. */
  @Column({ name: 'meter_event_names', type: 'jsonb', default: {} })
  meterEventNames!: PerAgent<string>;

  /** Per agent `overage` or `block`; a missing agent is `overage`. */
  @Column({ name: 'limit_policies', type: 'jsonb', default: {} })
  limitPolicies!: PerAgent<LimitPolicy>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
