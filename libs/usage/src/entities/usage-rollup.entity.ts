import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '@metering/platform';
import type { AgentType } from '../domain/agent-type';
import { Tenant } from './tenant.entity';

/**
 * The quantity one tenant's agent committed in one UTC hour of one billing period. Written only by
 * the tracker's commit statement, in the same statement as the counter, so the rollups of a period
 * sum to its counter; the usage history reads these, never the raw events.
 */
@Entity({ name: 'usage_rollups' })
@Check('chk_usage_rollups_agent', `agent IN ('inbox', 'invoice', 'meeting')`)
@Check('chk_usage_rollups_count', `count >= 0`)
@Index('idx_usage_rollups_tenant_bucket', ['tenantId', 'bucketStart'])
export class UsageRollup {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid', primaryKeyConstraintName: 'pk_usage_rollups' })
  @ForeignKey(() => Tenant, { name: 'fk_usage_rollups_tenant', onDelete: 'CASCADE' })
  tenantId!: string;

  @PrimaryColumn({ type: 'varchar', length: 16, primaryKeyConstraintName: 'pk_usage_rollups' })
  agent!: AgentType;

  @PrimaryColumn({ name: 'period_start', type: 'timestamptz', primaryKeyConstraintName: 'pk_usage_rollups' })
  periodStart!: Date;

  /** The UTC hour the events occurred in. */
  @PrimaryColumn({ name: 'bucket_start', type: 'timestamptz', primaryKeyConstraintName: 'pk_usage_rollups' })
  bucketStart!: Date;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  count!: number;
}
