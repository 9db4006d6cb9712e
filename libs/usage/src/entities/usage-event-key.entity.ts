import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { Tenant } from './tenant.entity';

/**
 * The exactly-once key of every stored event, in one plain (unpartitioned) table: a key on the
 * partitioned usage_events would have to contain occurred_at, and a resend carrying another
 * occurred_at would then be stored again in another month. COMMIT_EVENTS_SQL inserts the key first
 * (`ON CONFLICT DO NOTHING`) and stores only the events whose key it inserted, in the same statement.
 * `occurred_at` is the stored event's, so that event is one primary-key probe of one partition away.
 */
@Entity({ name: 'usage_event_keys' })
export class UsageEventKey {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid', primaryKeyConstraintName: 'pk_usage_event_keys' })
  @ForeignKey(() => Tenant, { name: 'fk_usage_event_keys_tenant', onDelete: 'CASCADE' })
  tenantId!: string;

  @PrimaryColumn({ name: 'idempotency_key', type: 'varchar', length: 255, primaryKeyConstraintName: 'pk_usage_event_keys' })
  idempotencyKey!: string;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;
}
