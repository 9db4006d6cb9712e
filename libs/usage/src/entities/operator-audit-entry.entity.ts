import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One write action through Bull Board: who did what to which queue and job, and its answer. */
@Entity({ name: 'operator_audit_log' })
@Index('idx_operator_audit_log_created', ['createdAt'])
export class OperatorAuditEntry {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** `token:<sub>` of the admin's bearer token. */
  @Column({ type: 'varchar', length: 255 })
  actor!: string;

  @Column({ name: 'actor_tenant_id', type: 'uuid', nullable: true })
  actorTenantId!: string | null;

  /** e.g. `retry`, `clean`, `promote`, `add`, `retry-all`, `pause`. */
  @Column({ type: 'varchar', length: 64 })
  action!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  queue!: string | null;

  @Column({ name: 'job_id', type: 'varchar', length: 255, nullable: true })
  jobId!: string | null;

  @Column({ type: 'varchar', length: 8 })
  method!: string;

  @Column({ type: 'text' })
  path!: string;

  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId!: string | null;

  /** HTTP status Bull Board answered; null while the action runs (or if the process died meanwhile). */
  @Column({ type: 'integer', nullable: true })
  status!: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;
}
