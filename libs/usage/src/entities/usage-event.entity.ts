import { Check, Column, CreateDateColumn, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import type { ActionType, AgentType } from '../domain/agent-type';
import { Tenant } from './tenant.entity';

/**
 * One accepted unit (or units) of agent work. Never updated; deleted only with its whole month
 * (retention, libs/usage/src/maintenance/usage-event-partitions.ts). Partitioned by RANGE
 * (occurred_at), one partition per UTC month plus a default one: TypeORM cannot express
 * partitioning, so the migration (1765200000000) creates the table and its partitions. A key on a
 * partitioned table must contain occurred_at, so the exactly-once key (tenant_id,
 * idempotency_key) lives in usage_event_keys (UsageEventKey), written in the same statement.
 */
@Entity({ name: 'usage_events' })
@Check('chk_usage_events_agent', `agent IN ('inbox', 'invoice', 'meeting')`)
@Check('chk_usage_events_quantity', `quantity > 0`)
export class UsageEvent {
  // The primary key (tenant_id, occurred_at, idempotency_key) is also the drill-down's keyset
  // order (a tenant's events by time, the key breaking ties) and how a key's stored event is found.
  // Its INCLUDE (agent, period_start, quantity) makes every recount index-only; TypeORM cannot
  // express INCLUDE, so the migration alone adds it (the key columns are what the builder compares).
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid', primaryKeyConstraintName: 'pk_usage_events' })
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

  @PrimaryColumn({ name: 'idempotency_key', type: 'varchar', length: 255, primaryKeyConstraintName: 'pk_usage_events' })
  idempotencyKey!: string;

  @Column({ type: 'jsonb', default: {} })
  metadata!: Record<string, unknown>;

  @PrimaryColumn({ name: 'occurred_at', type: 'timestamptz', primaryKeyConstraintName: 'pk_usage_events' })
  occurredAt!: Date;

  /** Start of the billing period whose counter this event was added to. */
  @Column({ name: 'period_start', type: 'timestamptz' })
  periodStart!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
