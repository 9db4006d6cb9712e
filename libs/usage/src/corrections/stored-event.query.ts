import type { EntityManager } from 'typeorm';
import type { AgentType } from '../domain/agent-type';

/** A stored event as a correction needs it: what to take back, from which counter and hour. */
export interface StoredEvent {
  tenantId: string;
  idempotencyKey: string;
  agent: AgentType;
  resourceId: string;
  quantity: number;
  occurredAt: Date;
  periodStart: Date;
}

/**
 * THE place that finds one stored event by tenant and idempotency key (issue 18: usage_events is
 * being partitioned in parallel; the partitioned layout changes this one statement). `FOR SHARE`:
 * the row cannot go away (tenant deletion) while the correction that reads it commits.
 */
export const FIND_STORED_EVENT_SQL = `
SELECT tenant_id, idempotency_key, agent, resource_id, quantity, occurred_at, period_start
  FROM usage_events
 WHERE tenant_id = $1 AND idempotency_key = $2
   FOR SHARE`;

export async function findStoredEvent(db: EntityManager, tenantId: string, idempotencyKey: string): Promise<StoredEvent | null> {
  const [row] = (await db.query(FIND_STORED_EVENT_SQL, [tenantId, idempotencyKey])) as Array<{
    tenant_id: string;
    idempotency_key: string;
    agent: AgentType;
    resource_id: string;
    quantity: number;
    occurred_at: Date;
    period_start: Date;
  }>;
  if (!row) return null;
  return {
    tenantId: row.tenant_id,
    idempotencyKey: row.idempotency_key,
    agent: row.agent,
    resourceId: row.resource_id,
    quantity: Number(row.quantity),
    occurredAt: row.occurred_at,
    periodStart: row.period_start,
  };
}
