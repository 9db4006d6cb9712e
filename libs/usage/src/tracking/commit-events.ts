import type { DataSource } from 'typeorm';
import { preparedQuery } from '@metering/platform';
import type { AgentType } from '../domain/agent-type';
import type { BillingPeriod } from '../domain/billing-period';
import type { ValidEvent } from '../events/valid-event';
import { isoStrings } from '../support/iso-strings';
import { COMMIT_EVENTS_SQL } from './commit-events.sql';

export type TrackOutcome = 'recorded' | 'duplicate';

export interface TrackResult {
  tenantId: string;
  agent: AgentType;
  idempotencyKey: string;
  outcome: TrackOutcome;
}

/** How a counter moved in one commit; alerting compares `previousCount` and `count` to limits. */
export interface CounterChange {
  tenantId: string;
  agent: AgentType;
  periodStart: Date;
  periodEnd: Date;
  previousCount: number;
  count: number;
}

/** An event of an accepted group and the period whose counter it adds to. */
export interface PlacedEvent {
  event: ValidEvent;
  period: BillingPeriod;
}

interface CommitRow {
  /** [tenant_id, idempotency_key] of sent events that were already stored. */
  duplicates: Array<[string, string]>;
  /** [tenant_id, agent, period_start ms, period_end ms, count, added] of each moved counter. */
  counters: Array<[string, AgentType, number | string, number | string, number | string, number | string]>;
}

/**
 * Writes placed events and their counter increments in ONE statement (COMMIT_EVENTS_SQL, a
 * prepared statement): atomic without BEGIN/COMMIT round trips. Results are in input order.
 */
export async function commitEvents(dataSource: DataSource, events: readonly PlacedEvent[]): Promise<{ results: TrackResult[]; counters: CounterChange[] }> {
  // A fixed order of unique-index and counter locks keeps concurrent batches from deadlocking.
  // Sorted, a key repeated within the batch is adjacent: only its first occurrence is sent.
  const sorted = [...events].sort((a, b) => compare(a.event.tenantId, b.event.tenantId) || compare(a.event.idempotencyKey, b.event.idempotencyKey));
  const rows: ValidEvent[] = [];
  const periods: BillingPeriod[] = [];
  for (const { event, period } of sorted) {
    const last = rows[rows.length - 1];
    if (!last || last.tenantId !== event.tenantId || last.idempotencyKey !== event.idempotencyKey) {
      rows.push(event);
      periods.push(period);
    }
  }
  const isoOf = isoStrings();
  // The SQL wire is snake_case too: the column names of COMMIT_EVENTS_SQL's json_to_recordset.
  const input = JSON.stringify(
    rows.map((e, index) => ({
      tenant_id: e.tenantId,
      agent: e.agent,
      action_type: e.actionType,
      resource_id: e.resourceId,
      quantity: e.quantity,
      idempotency_key: e.idempotencyKey,
      metadata: e.metadata,
      occurred_at: isoOf(e.occurredAt),
      period_start: isoOf(periods[index]!.start),
      period_end: isoOf(periods[index]!.end),
    })),
  );
  const [result] = await preparedQuery<CommitRow>(dataSource, 'usage-commit-events', COMMIT_EVENTS_SQL, [input]);
  const outcomes = outcomesOf(events, rows.length, result!.duplicates);
  const results = events.map(
    ({ event }, index): TrackResult => ({ tenantId: event.tenantId, agent: event.agent, idempotencyKey: event.idempotencyKey, outcome: outcomes(index) }),
  );
  return {
    results,
    counters: result!.counters.map(([tenantId, agent, periodStartMs, periodEndMs, count, added]) => ({
      tenantId,
      agent,
      periodStart: new Date(Number(periodStartMs)),
      periodEnd: new Date(Number(periodEndMs)),
      previousCount: Number(count) - Number(added),
      count: Number(count),
    })),
  };
}

/**
 * Each event's outcome by its index: the first occurrence of a key in the batch is recorded unless
 * Postgres already had it; later occurrences are duplicates. In the common case (no repeated key,
 * nothing already stored) every event is recorded and no key is built.
 */
function outcomesOf(events: readonly PlacedEvent[], sentCount: number, stored: ReadonlyArray<[string, string]>): (index: number) => TrackOutcome {
  if (sentCount === events.length && stored.length === 0) return () => 'recorded';
  const keyOf = (tenantId: string, idempotencyKey: string): string => `${tenantId}\u0000${idempotencyKey}`;
  const claimed = new Set(stored.map(([tenantId, key]) => keyOf(tenantId, key)));
  const outcomes = events.map(({ event }): TrackOutcome => {
    const key = keyOf(event.tenantId, event.idempotencyKey);
    if (claimed.has(key)) return 'duplicate';
    claimed.add(key);
    return 'recorded';
  });
  return (index) => outcomes[index]!;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
