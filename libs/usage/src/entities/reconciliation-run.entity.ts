import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type ReconciliationStatus = 'running' | 'succeeded' | 'failed';

/** What one reconciliation run checked, corrected and alerted. */
@Entity({ name: 'reconciliation_runs' })
@Check('chk_reconciliation_runs_status', `status IN ('running', 'succeeded', 'failed')`)
// (started_at DESC): the latest runs first.
@Index('idx_reconciliation_runs_started', ['startedAt'])
export class ReconciliationRun {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  @Column({ type: 'varchar', length: 16 })
  status!: ReconciliationStatus;

  @Column({ name: 'dry_run', type: 'boolean', default: false })
  dryRun!: boolean;

  /** Null when the run covered every tenant. */
  @Column({ name: 'tenant_id', type: 'uuid', nullable: true })
  tenantId!: string | null;

  @Column({ name: 'counters_checked', type: 'integer', default: 0 })
  countersChecked!: number;

  @Column({ name: 'counters_corrected', type: 'integer', default: 0 })
  countersCorrected!: number;

  @Column({ name: 'counters_alerted', type: 'integer', default: 0 })
  countersAlerted!: number;

  @Column({ name: 'max_drift_ratio', type: 'double precision', default: 0 })
  maxDriftRatio!: number;

  /** The drifted counters: tenant, agent, period, counted, recounted, ratio, action. */
  @Column({ type: 'jsonb', default: [] })
  details!: unknown[];

  @Column({ type: 'text', nullable: true })
  error!: string | null;
}
