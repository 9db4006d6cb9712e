import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';
import { bigintAsNumber } from '@metering/platform';
import type { AgentType } from '../domain/agent-type';
import { Tenant } from './tenant.entity';

/** The running total of one tenant's agent usage in one billing period. */
@Entity({ name: 'usage_counters' })
@Check('chk_usage_counters_agent', `agent IN ('inbox', 'invoice', 'meeting')`)
@Check('chk_usage_counters_period', `period_end > period_start`)
@Check('chk_usage_counters_count', `count >= 0`)
@Unique('uq_usage_counters_tenant_agent_period', ['tenantId', 'agent', 'periodStart'])
@Index('idx_usage_counters_tenant_period', ['tenantId', 'periodStart'])
export class UsageCounter {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  @ForeignKey(() => Tenant, { name: 'fk_usage_counters_tenant', onDelete: 'CASCADE' })
  tenantId!: string;

  @Column({ type: 'varchar', length: 16 })
  agent!: AgentType;

  @Column({ name: 'period_start', type: 'timestamptz' })
  periodStart!: Date;

  @Column({ name: 'period_end', type: 'timestamptz' })
  periodEnd!: Date;

  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber })
  count!: number;

  @Column({ name: 'last_event_at', type: 'timestamptz', nullable: true })
  lastEventAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
