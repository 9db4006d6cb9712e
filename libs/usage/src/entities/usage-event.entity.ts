import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { ActionType, AgentType } from '../domain/agent-type';

/**
 * One accepted unit (or units) of agent work. Never updated, never deleted. Identified by its
 * tenant and idempotency key: that key is the exactly-once guarantee.
 */
@Entity({ name: 'usage_events' })
export class UsageEvent {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ type: 'varchar', length: 16 })
  agent!: AgentType;

  @Column({ name: 'action_type', type: 'varchar', length: 32 })
  actionType!: ActionType;

  @Column({ name: 'resource_id', type: 'varchar', length: 255 })
  resourceId!: string;

  @Column({ type: 'integer' })
  quantity!: number;

  @PrimaryColumn({ name: 'idempotency_key', type: 'varchar', length: 255 })
  idempotencyKey!: string;

  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  metadata!: Record<string, unknown>;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  /** Start of the billing period whose counter this event was added to. */
  @Column({ name: 'period_start', type: 'timestamptz' })
  periodStart!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
