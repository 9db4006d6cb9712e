import type { DataSource } from 'typeorm';
import { OperatorAuditEntry } from '../entities/operator-audit-entry.entity';

/** What an operator is about to do through Bull Board. */
export interface OperatorActionInput {
  actor: string;
  actorTenantId: string | null;
  action: string;
  queue: string | null;
  jobId: string | null;
  method: string;
  path: string;
  requestId: string | null;
}

/**
 * The `operator_audit_log` table: a row is written before a write action runs (so no action goes
 * unrecorded: if the insert fails the action is refused) and completed with the answer's status.
 */
export class OperatorAuditRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Records an action about to run; resolves with the row id for `complete`. */
  async begin(input: OperatorActionInput): Promise<string> {
    const saved = await this.dataSource.getRepository(OperatorAuditEntry).insert({ ...input, status: null, completedAt: null });
    return (saved.identifiers[0] as { id: string }).id;
  }

  /** Stores how the action ended (the HTTP status Bull Board answered). */
  async complete(id: string, status: number): Promise<void> {
    await this.dataSource.getRepository(OperatorAuditEntry).update({ id }, { status, completedAt: new Date() });
  }
}
