import type { Queue } from 'bullmq';
import type { DataSource } from 'typeorm';

/**
 * What the system acknowledged (a resolved `trackMany`, a 202), per (tenant, idempotency key).
 * An event acknowledged twice (a duplicate, or a retry after a 503) is one event to count.
 */
export class AckLog {
  /** Events sent, duplicates and retries included. */
  sent = 0;
  private readonly acknowledged = new Map<string, number>();

  noteSent(count: number): void {
    this.sent += count;
  }

  acknowledge(events: ReadonlyArray<{ tenantId: string; idempotencyKey: string; quantity?: number }>): void {
    for (const event of events) this.acknowledged.set(`${event.tenantId}|${event.idempotencyKey}`, event.quantity ?? 1);
  }

  get distinct(): number {
    return this.acknowledged.size;
  }

  keys(): ReadonlyMap<string, number> {
    return this.acknowledged;
  }
}

/** The outcome of a scenario: the row of the report table. */
export interface LedgerOutcome {
  sent: number;
  acknowledged: number;
  /** Rows in usage_events of the scenario's tenants. */
  stored: number;
  /** Sum of the scenario's counters. */
  counted: number;
  /** Acknowledged events with no row, plus counter units missing for stored rows. */
  lost: number;
  /** Counter units beyond the stored rows (an event counted twice). */
  doubleCounted: number;
  /** Stored rows nobody got an acknowledgement for (allowed only for unacknowledged retries). */
  unacknowledgedStored: number;
}

/**
 * Compares what was acknowledged with usage_events and usage_counters of `tenantIds`:
 * acknowledged == stored rows == sum of counters, nothing lost, nothing counted twice.
 */
export async function checkLedger(db: DataSource, acks: AckLog, tenantIds: readonly string[]): Promise<LedgerOutcome> {
  const rows: Array<{ tenant_id: string; idempotency_key: string; quantity: number }> = await db.query(
    'SELECT tenant_id, idempotency_key, quantity FROM usage_events WHERE tenant_id = ANY($1::uuid[])',
    [tenantIds],
  );
  const [{ total }] = await db.query('SELECT coalesce(sum(count), 0)::bigint AS total FROM usage_counters WHERE tenant_id = ANY($1::uuid[])', [
    tenantIds,
  ]);
  const counted = Number(total);
  const stored = new Map(rows.map((row) => [`${row.tenant_id}|${row.idempotency_key}`, Number(row.quantity)]));
  const storedUnits = [...stored.values()].reduce((sum, quantity) => sum + quantity, 0);
  let missing = 0;
  for (const key of acks.keys().keys()) if (!stored.has(key)) missing += 1;
  let unacknowledgedStored = 0;
  for (const key of stored.keys()) if (!acks.keys().has(key)) unacknowledgedStored += 1;
  return {
    sent: acks.sent,
    acknowledged: acks.distinct,
    stored: stored.size,
    counted,
    lost: missing + Math.max(0, storedUnits - counted),
    doubleCounted: Math.max(0, counted - storedUnits),
    unacknowledgedStored,
  };
}

/** Job counts of the events queue that still have work to do. */
const OPEN_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;

/**
 * Waits until no track job is waiting, active or delayed (every acknowledged event reached a
 * worker's commit or failed for good); returns the number of failed jobs.
 */
export async function waitForDrain(queue: Queue, timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await queue.getJobCounts(...OPEN_STATES, 'failed');
    const open = OPEN_STATES.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
    if (open === 0) return counts.failed ?? 0;
    if (Date.now() > deadline) throw new Error(`queue not drained within ${timeoutMs} ms: ${JSON.stringify(counts)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Reasons of failed jobs, for the failure message of a scenario that lost events in the queue. */
export async function failedReasons(queue: Queue): Promise<string[]> {
  const failed = await queue.getFailed(0, 20);
  return failed.map((job) => `${job.name} ${job.id}: ${job.failedReason}`);
}
