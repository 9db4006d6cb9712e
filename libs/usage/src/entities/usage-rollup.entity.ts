import { Check, Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '@metering/platform';
import type { AgentType } from '../domain/agent-type';
import { Tenant } from './tenant.entity';

/**
 * The quantity one tenant's agent committed in one UTC hour of one billing period. Written only by
 * the tracker's commit statement, in the same statement as the counter, so the rollups of a period
 * sum to its counter; the usage history reads these, never the raw events.
 *
 * One index, the primary key (tenant_id, bucket_start, agent, period_start): the commit's upsert
 * target, and by its leading columns a tenant's time range for the history. A reader of one period
 * bounds bucket_start from the period's first hour (migration UsageRollupsOneKey1765300000000).
 */
@Entity({ name: 'usage_rollups' })
@Check('chk_usage_rollups_agent', `agent IN ('inbox', 'invoice', 'meeting')`)
@Check('chk_usage_rollups_count', `count >= 0`)
export class UsageRollup {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid', primaryKeyConstraintName: 'pk_usage_rollups' })
  @ForeignKey(() => Tenant, { name: 'fk_usage_rollups_tenant', onDelete: 'CASCADE' })
  tenantId!: string;

  /** The UTC hour the events occurred in. */
  @PrimaryColumn({ name: 'bucket_start', type: 'timestamptz', primaryKeyConstraintName: 'pk_usage_rollups' })
  bucketStart!: Date;

  @PrimaryColumn({ type: 'varchar', length: 16, primaryKeyConstraintName: 'pk_usage_rollups' })
  agent!: AgentType;

  @PrimaryColumn({ name: 'period_start', type: 'timestamptz', primaryKeyConstraintName: 'pk_usage_rollups' })
  periodStart!: Date;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  count!: number;
}
