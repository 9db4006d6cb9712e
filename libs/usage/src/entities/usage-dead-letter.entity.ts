import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Why the worker could not count an event the API had accepted. */
export type DeadLetterReason =
  | 'tenant_not_found'
  | 'subscription_not_found'
  | 'subscription_inactive'
  | 'outside_window'
  | 'period_final'
  | 'idempotency_conflict'
  | 'invalid_event'
  /** The plan blocks this agent at its limit (`block` policy) and the event would pass it. */
  | 'quota_exceeded';

export const DEAD_LETTER_REASONS: readonly DeadLetterReason[] = [
  'tenant_not_found',
  'subscription_not_found',
  'subscription_inactive',
  'outside_window',
  'period_final',
  'idempotency_conflict',
  'invalid_event',
  'quota_exceeded',
];

/**
 * An event that reached the worker but could not be counted, with the reason: never dropped in
 * silence. An operator lists and replays them (`npm run usage -- dead-letters`, `replay-dead-letters`).
 * No foreign key to tenants: an unknown tenant is one of the reasons.
 */
@Entity({ name: 'usage_dead_letters' })
@Check(
  'chk_usage_dead_letters_reason',
  `reason IN ('tenant_not_found', 'subscription_not_found', 'subscription_inactive', 'outside_window', 'period_final', 'idempotency_conflict', 'invalid_event', 'quota_exceeded')`,
)
@Index('idx_usage_dead_letters_open', ['createdAt'], { where: 'replayed_at IS NULL' })
@Index('uq_usage_dead_letters_open_event', ['tenantId', 'idempotencyKey', 'reason'], { unique: true, where: 'replayed_at IS NULL' })
export class UsageDeadLetter {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 255 })
  idempotencyKey!: string;

  /** The event as it travelled (wire shape, snake_case), with occurred_at filled in. */
  @Column({ type: 'jsonb' })
  event!: Record<string, unknown>;

  @Column({ type: 'varchar', length: 32 })
  reason!: DeadLetterReason;

  @Column({ type: 'text' })
  detail!: string;

  @Column({ name: 'job_id', type: 'varchar', length: 255, nullable: true })
  jobId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** When a replay counted it (or found it already counted); null while it waits. */
  @Column({ name: 'replayed_at', type: 'timestamptz', nullable: true })
  replayedAt!: Date | null;
}
