import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { AgentType } from '../domain/agent-type';

export type AlertLevel = 'warning' | 'error';

/** Written once per (tenant, agent, period, level) when 80% / 100% of a limit is first crossed. */
@Entity({ name: 'usage_alerts' })
export class UsageThresholdAlert {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ type: 'varchar', length: 16 })
  agent!: AgentType;

  @Column({ name: 'period_start', type: 'timestamptz' })
  periodStart!: Date;

  @Column({ type: 'varchar', length: 16 })
  level!: AlertLevel;

  @Column({ name: 'threshold_percent', type: 'smallint' })
  thresholdPercent!: number;

  @Column({ name: 'count_at_alert', type: 'bigint', transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  countAtAlert!: number;

  @Column({ name: 'limit_at_alert', type: 'bigint', transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  limitAtAlert!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** When the alert was handed to the `usage-alerts` queue; null until then (an outbox row). */
  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;
}
