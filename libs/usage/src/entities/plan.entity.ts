import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Monthly quotas keyed `emails_per_month` etc.; a missing or null key means unlimited. */
export type PlanLimits = Record<string, number | null>;
/** Per-agent values keyed by agent (`inbox`, `invoice`, `meeting`). */
export type PerAgent<T> = Partial<Record<string, T>>;

@Entity({ name: 'plans' })
export class Plan {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 64, unique: true })
  code!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  limits!: PlanLimits;

  /** Price of one unit of overage per agent, in integer cents. */
  @Column({ name: 'overage_unit_cents', type: 'jsonb', default: () => "'{}'::jsonb" })
  overageUnitCents!: PerAgent<number>;

  /** Stripe Billing meter `event_name` per agent. */
  @Column({ name: 'meter_event_names', type: 'jsonb', default: () => "'{}'::jsonb" })
  meterEventNames!: PerAgent<string>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
