import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { bigintAsNumber } from '@metering/platform';
import type { AgentType } from '../domain/agent-type';
import { Tenant } from './tenant.entity';

/** `void` takes back one stored event; `adjustment` adds or removes a quantity of a period. */
export type CorrectionKind = 'void' | 'adjustment';

/**
 * An operator's correction of a counter, append-only: never updated, never deleted. Counters,
 * rollups, reconciliation and billing add `quantityDelta` to the events of the period; the events
 * stay as they were received. Identified by its tenant and the client's `correctionKey`.
 */
@Entity({ name: 'usage_corrections' })
@Check('chk_usage_corrections_kind', `kind IN ('void', 'adjustment')`)
@Check('chk_usage_corrections_agent', `agent IN ('inbox', 'invoice', 'meeting')`)
@Check('chk_usage_corrections_delta', `quantity_delta <> 0`)
@Check('chk_usage_corrections_reason', `length(btrim(reason)) > 0`)
@Check('chk_usage_corrections_void_key', `(kind = 'void') = (voided_idempotency_key IS NOT NULL)`)
@Unique('uq_usage_corrections_key', ['tenantId', 'correctionKey'])
@Index('uq_usage_corrections_voided', ['tenantId', 'voidedIdempotencyKey'], { unique: true, where: 'voided_idempotency_key IS NOT NULL' })
@Index('idx_usage_corrections_counter', ['tenantId', 'agent', 'periodStart'])
@Index('idx_usage_corrections_tenant_occurred', ['tenantId', 'occurredAt', 'correctionKey'])
export class UsageCorrection {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  @ForeignKey(() => Tenant, { name: 'fk_usage_corrections_tenant', onDelete: 'CASCADE' })
  tenantId!: string;

  @Column({ name: 'correction_key', type: 'varchar', length: 255 })
  correctionKey!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: CorrectionKind;

  @Column({ type: 'varchar', length: 16 })
  agent!: AgentType;

  @Column({ name: 'period_start', type: 'timestamptz' })
  periodStart!: Date;

  /** Added to the counter: minus the event's quantity for a void. */
  @Column({ name: 'quantity_delta', type: 'integer' })
  quantityDelta!: number;

  @Column({ name: 'voided_idempotency_key', type: 'varchar', length: 255, nullable: true })
  voidedIdempotencyKey!: string | null;

  /** The voided event's resource (the drill-down filters by it); null for an adjustment. */
  @Column({ name: 'resource_id', type: 'varchar', length: 255, nullable: true })
  resourceId!: string | null;

  /** Where it shows in the drill-down and the hour it applies to: the voided event's time for a void. */
  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ type: 'text' })
  reason!: string;

  /** `token:<sub>` (API) or `cli:<user>` (CLI). */
  @Column({ type: 'varchar', length: 255 })
  actor!: string;

  @Column({ name: 'counter_before', type: 'bigint', transformer: bigintAsNumber })
  counterBefore!: number;

  @Column({ name: 'counter_after', type: 'bigint', transformer: bigintAsNumber })
  counterAfter!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
