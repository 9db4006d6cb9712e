import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintAsNumber } from '@metering/platform';
import type { AgentType } from '../domain/agent-type';
import { Tenant } from './tenant.entity';

/**
 * A counter reconciliation found drifting beyond the alert threshold. While a hold is open the
 * counter is not billed; an operator resolves it (`npm run usage -- resolve-hold`).
 */
@Entity({ name: 'usage_counter_holds' })
@Index('uq_usage_counter_holds_open', ['tenantId', 'agent', 'periodStart'], { unique: true, where: 'resolved_at IS NULL' })
export class UsageCounterHold {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  @ForeignKey(() => Tenant, { name: 'fk_usage_counter_holds_tenant', onDelete: 'CASCADE' })
  tenantId!: string;

  @Column({ type: 'varchar', length: 16 })
  agent!: AgentType;

  @Column({ name: 'period_start', type: 'timestamptz' })
  periodStart!: Date;

  @Column({ name: 'counter_count', type: 'bigint', transformer: bigintAsNumber })
  counterCount!: number;

  @Column({ name: 'event_count', type: 'bigint', transformer: bigintAsNumber })
  eventCount!: number;

  @Column({ name: 'drift_ratio', type: 'double precision' })
  driftRatio!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true })
  resolvedAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  resolution!: string | null;
}
