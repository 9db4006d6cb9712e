import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { bigintAsNumber } from '@metering/platform';
import type { AgentType } from '../domain/agent-type';
import { Tenant } from './tenant.entity';

/** `forecast`: the forecast reached 100% before period end (recorded by the usage read). */
export type AlertLevel = 'warning' | 'error' | 'forecast';

/** Written once per (tenant, agent, period, level) when 80% / 100% of a limit is first crossed. */
@Entity({ name: 'usage_alerts' })
@Check('chk_usage_alerts_level', `level IN ('warning', 'error', 'forecast')`)
@Unique('uq_usage_alerts_tenant_agent_period_level', ['tenantId', 'agent', 'periodStart', 'level'])
@Index('idx_usage_alerts_unpublished', ['createdAt'], { where: 'published_at IS NULL' })
export class UsageThresholdAlert {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  @ForeignKey(() => Tenant, { name: 'fk_usage_alerts_tenant', onDelete: 'CASCADE' })
  tenantId!: string;

  @Column({ type: 'varchar', length: 16 })
  agent!: AgentType;

  @Column({ name: 'period_start', type: 'timestamptz' })
  periodStart!: Date;

  @Column({ type: 'varchar', length: 16 })
  level!: AlertLevel;

  @Column({ name: 'threshold_percent', type: 'smallint' })
  thresholdPercent!: number;

  @Column({ name: 'count_at_alert', type: 'bigint', transformer: bigintAsNumber })
  countAtAlert!: number;

  @Column({ name: 'limit_at_alert', type: 'bigint', transformer: bigintAsNumber })
  limitAtAlert!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** When the alert was handed to the `usage-alerts` queue; null until then (an outbox row). */
  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;
}
