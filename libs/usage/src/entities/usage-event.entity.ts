import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import type { ActionType, AgentType } from '../domain/agent-type';
import { Tenant } from './tenant.entity';

/**
 * One accepted unit (or units) of agent work. Never updated, never deleted. Identified by its
 * tenant and idempotency key: that key is the exactly-once guarantee.
 */
@Entity({ name: 'usage_events' })
@Check('chk_usage_events_agent', `agent IN ('inbox', 'invoice', 'meeting')`)
@Check('chk_usage_events_quantity', `quantity > 0`)
// (tenant_id, agent, period_start) INCLUDE (quantity), for an index-only recount. TypeORM cannot
// express INCLUDE, so the migration alone defines it and the schema builder leaves it alone.
@Index('idx_usage_events_tenant_agent', { synchronize: false })
// The drill-down's keyset order: a tenant's events by time, the key breaking ties.
@Index('idx_usage_events_tenant_occurred', ['tenantId', 'occurredAt', 'idempotencyKey'])
export class UsageEvent {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid', primaryKeyConstraintName: 'idx_usage_events_idempotency' })
  @ForeignKey(() => Tenant, { name: 'fk_usage_events_tenant', onDelete: 'CASCADE' })
  tenantId!: string;

  @Column({ type: 'varchar', length: 16 })
  agent!: AgentType;

  @Column({ name: 'action_type', type: 'varchar', length: 32 })
  actionType!: ActionType;

  @Column({ name: 'resource_id', type: 'varchar', length: 255 })
  resourceId!: string;

  @Column({ type: 'integer' })
  quantity!: number;

  @PrimaryColumn({ name: 'idempotency_key', type: 'varchar', length: 255, primaryKeyConstraintName: 'idx_usage_events_idempotency' })
  idempotencyKey!: string;

  @Column({ type: 'jsonb', default: {} })
  metadata!: Record<string, unknown>;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  /** Start of the billing period whose counter this event was added to. */
  @Column({ name: 'period_start', type: 'timestamptz' })
  periodStart!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
