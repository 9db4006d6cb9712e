import type { DataSource } from 'typeorm';
import { preparedQuery } from '@metering/platform';

/** What an idempotency key was first used for: the fields that make two events the same one. */
export interface StoredEventContent {
  agent: string;
  actionType: string;
  resourceId: string;
  quantity: number;
}

interface Waiting {
  tenantId: string;
  keys: readonly string[];
  resolve: (found: Map<string, StoredEventContent>) => void;
  reject: (error: unknown) => void;
}

const LOOKUP_SQL = `
SELECT e.tenant_id, e.idempotency_key, e.agent, e.action_type, e.resource_id, e.quantity
  FROM unnest($1::uuid[], $2::varchar[]) AS k(tenant_id, idempotency_key)
  JOIN usage_event_keys s ON s.tenant_id = k.tenant_id AND s.idempotency_key = k.idempotency_key
  JOIN usage_events e ON e.tenant_id = s.tenant_id AND e.occurred_at = s.occurred_at AND e.idempotency_key = s.idempotency_key`;

/**
 * Finds which idempotency keys are already stored, and for what. One query at a time: lookups
 * that arrive in the same turn of the event loop, or while a query is out (concurrent ingest
 * requests), share the next ONE, so the API pays one round trip per burst of requests rather than
 * one per request, and a request waits at most for the query already out. Per key: a probe of
 * usage_event_keys' primary key, then of the events' primary key in the one partition the key's
 * occurred_at names.
 */
export class StoredEventLookup {
  private waiting: Waiting[] = [];
  private busy = false;

  constructor(private readonly dataSource: DataSource) {}

  /** Stored content by key, for the keys of `tenantId` that are stored. */
  find(tenantId: string, keys: readonly string[]): Promise<Map<string, StoredEventContent>> {
    return new Promise((resolve, reject) => {
      if (this.waiting.length === 0 && !this.busy) setImmediate(() => void this.flush());
      this.waiting.push({ tenantId, keys, resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    this.busy = true;
    try {
      await this.query(this.waiting.splice(0));
    } finally {
      this.busy = false;
      if (this.waiting.length > 0) setImmediate(() => void this.flush());
    }
  }

  private async query(batch: Waiting[]): Promise<void> {
    const tenantIds: string[] = [];
    const keys: string[] = [];
    for (const request of batch) {
      for (const key of request.keys) {
        tenantIds.push(request.tenantId);
        keys.push(key);
      }
    }
    try {
      // Prepared: planning the join over every partition of usage_events cost Postgres more than
      // running it (1.3 ms against 0.6 ms for 100 new keys), once per ingest request.
      const rows = await preparedQuery<{
        tenant_id: string;
        idempotency_key: string;
        agent: string;
        action_type: string;
        resource_id: string;
        quantity: number;
      }>(this.dataSource, 'usage-stored-event-lookup', LOOKUP_SQL, [tenantIds, keys]);
      const byTenant = new Map<string, Map<string, StoredEventContent>>();
      for (const row of rows) {
        let found = byTenant.get(row.tenant_id);
        if (!found) byTenant.set(row.tenant_id, (found = new Map()));
        found.set(row.idempotency_key, { agent: row.agent, actionType: row.action_type, resourceId: row.resource_id, quantity: Number(row.quantity) });
      }
      for (const request of batch) request.resolve(byTenant.get(request.tenantId) ?? new Map());
    } catch (error) {
      for (const request of batch) request.reject(error);
    }
  }
}
