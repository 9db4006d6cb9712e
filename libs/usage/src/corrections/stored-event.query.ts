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
 * THE place that finds one stored event by tenant and idempotency key. usage_events is partitioned
 * by occurred_at, so the key is looked up in usage_event_keys (the exactly-once key) and its
 * occurred_at names the one partition that holds the event (a primary-key probe there). `FOR
 * SHARE` on the key: it cannot go away (tenant deletion, a retention drop) while the correction
 * that reads it commits.
 */
export const FIND_STORED_EVENT_SQL = `
SELECT e.tenant_id, e.idempotency_key, e.agent, e.resource_id, e.quantity, e.occurred_at, e.period_start
  FROM usage_event_keys k
  JOIN usage_events e ON e.tenant_id = k.tenant_id AND e.occurred_at = k.occurred_at AND e.idempotency_key = k.idempotency_key
 WHERE k.tenant_id = $1 AND k.idempotency_key = $2
   FOR SHARE OF k`;

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
