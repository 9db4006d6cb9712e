import type { DataSource } from 'typeorm';
import { preparedQuery } from '@metering/platform';
import type { AgentType } from '../domain/agent-type';
import type { BillingPeriod } from '../domain/billing-period';
import type { ValidEvent } from '../events/valid-event';
import { isoStrings } from '../support/iso-strings';
import { COMMIT_EVENTS_SQL } from './commit-events.sql';
import { deadLetterOf } from './dead-letter';
import type { NewDeadLetter } from './dead-letter';

/** `dead_lettered`: not counted; the event and the reason are in usage_dead_letters. */
export type TrackOutcome = 'recorded' | 'duplicate' | 'dead_lettered';

export interface TrackResult {
  tenantId: string;
  agent: AgentType;
  idempotencyKey: string;
  outcome: TrackOutcome;
  /** Set when `outcome` is `dead_lettered`. */
  deadLetter?: NewDeadLetter;
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
  /** [tenant_id, idempotency_key] of those stored with other content (dead-lettered). */
  conflicts: Array<[string, string]>;
  /** [tenant_id, agent, period_start ms, period_end ms, count] of each moved counter. */
  counters: Array<[string, AgentType, number | string, number | string, number | string]>;
  /** [tenant_id, agent, period_start ms, quantity]: what the statement added to each of them. */
  added: Array<[string, AgentType, number | string, number | string]>;
}

const keyOf = (tenantId: string, idempotencyKey: string): string => `${tenantId}\u0000${idempotencyKey}`;

/** Same key, same content: what Stripe treats as a replay rather than a different request. */
function sameContent(a: ValidEvent, b: ValidEvent): boolean {
  return a.agent === b.agent && a.actionType === b.actionType && a.resourceId === b.resourceId && a.quantity === b.quantity;
}

/**
 * Writes placed events, their counter increments and the dead letters (`deadLetters`, plus the
 * key conflicts the statement finds) in ONE statement (COMMIT_EVENTS_SQL, a prepared statement):
 * atomic without BEGIN/COMMIT round trips. Results are in input order.
 */
export async function commitEvents(
  dataSource: DataSource,
  events: readonly PlacedEvent[],
  deadLetters: readonly NewDeadLetter[] = [],
): Promise<{ results: TrackResult[]; counters: CounterChange[] }> {
  // A fixed order of unique-index and counter locks keeps concurrent batches from deadlocking.
  // Sorted, a key repeated within the batch is adjacent: only its first occurrence is sent, and
  // a repeat with other content is a conflict found here, without asking Postgres.
  const sorted = [...events].sort((a, b) => compare(a.event.tenantId, b.event.tenantId) || compare(a.event.idempotencyKey, b.event.idempotencyKey));
  const rows: ValidEvent[] = [];
  const periods: BillingPeriod[] = [];
  const inBatchConflicts = new Map<ValidEvent, NewDeadLetter>();
  for (const { event, period } of sorted) {
    const last = rows[rows.length - 1];
    if (!last || last.tenantId !== event.tenantId || last.idempotencyKey !== event.idempotencyKey) {
      rows.push(event);
      periods.push(period);
    } else if (!sameContent(last, event)) {
      inBatchConflicts.set(event, deadLetterOf(event, 'idempotency_conflict', `idempotency_key ${event.idempotencyKey} is used by another event of the same batch`));
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
  const dead = [...deadLetters, ...inBatchConflicts.values()];
  const deadInput =
    dead.length === 0
      ? '[]'
      : JSON.stringify(dead.map((d) => ({ tenant_id: d.tenantId, idempotency_key: d.idempotencyKey, event: d.event, reason: d.reason, detail: d.detail, job_id: d.jobId ?? null })));
  const [result] = await preparedQuery<CommitRow>(dataSource, 'usage-commit-events', COMMIT_EVENTS_SQL, [input, deadInput]);
  const outcomes = outcomesOf(events, rows.length, result!.duplicates, result!.conflicts, inBatchConflicts);
  const results = events.map(({ event }, index): TrackResult => {
    const { outcome, deadLetter } = outcomes(index);
    return { tenantId: event.tenantId, agent: event.agent, idempotencyKey: event.idempotencyKey, outcome, ...(deadLetter && { deadLetter }) };
  });
  return { results, counters: counterChanges(result!) };
}

/** Each moved counter with the count it had before the statement (its count minus what was added). */
function counterChanges({ counters, added }: CommitRow): CounterChange[] {
  const counterKey = (tenantId: string, agent: string, periodStartMs: number | string) => `${tenantId}\u0000${agent}\u0000${periodStartMs}`;
  const addedTo = new Map(added.map(([tenantId, agent, periodStartMs, quantity]) => [counterKey(tenantId, agent, periodStartMs), Number(quantity)]));
  return counters.map(([tenantId, agent, periodStartMs, periodEndMs, count]) => {
    const quantity = addedTo.get(counterKey(tenantId, agent, periodStartMs));
    // Every counter the statement moved was moved by an `added` row: anything else is a bug here.
    if (quantity === undefined) throw new Error(`commit returned counter ${tenantId}/${agent}/${periodStartMs} without what was added to it`);
    return {
      tenantId,
      agent,
      periodStart: new Date(Number(periodStartMs)),
      periodEnd: new Date(Number(periodEndMs)),
      previousCount: Number(count) - quantity,
      count: Number(count),
    };
  });
}

type Outcome = { outcome: TrackOutcome; deadLetter?: NewDeadLetter };
const RECORDED: Outcome = { outcome: 'recorded' };

/**
 * Each event's outcome by its index: the first occurrence of a key in the batch is recorded unless
 * Postgres already had it (a duplicate, or a conflict when its content differs); later occurrences
 * are duplicates, or conflicts when their content differs. In the common case (no repeated key,
 * nothing already stored) every event is recorded and no key is built.
 */
function outcomesOf(
  events: readonly PlacedEvent[],
  sentCount: number,
  stored: ReadonlyArray<[string, string]>,
  conflicting: ReadonlyArray<[string, string]>,
  inBatchConflicts: ReadonlyMap<ValidEvent, NewDeadLetter>,
): (index: number) => Outcome {
  if (sentCount === events.length && stored.length === 0) return () => RECORDED;
  const conflicts = new Set(conflicting.map(([tenantId, key]) => keyOf(tenantId, key)));
  const claimed = new Set(stored.map(([tenantId, key]) => keyOf(tenantId, key)));
  const outcomes = events.map(({ event }): Outcome => {
    const inBatch = inBatchConflicts.get(event);
    if (inBatch) return { outcome: 'dead_lettered', deadLetter: inBatch };
    const key = keyOf(event.tenantId, event.idempotencyKey);
    if (conflicts.has(key)) {
      conflicts.delete(key);
      return { outcome: 'dead_lettered', deadLetter: deadLetterOf(event, 'idempotency_conflict', `idempotency_key ${event.idempotencyKey} was already used for another event`) };
    }
    if (claimed.has(key)) return { outcome: 'duplicate' };
    claimed.add(key);
    return RECORDED;
  });
  return (index) => outcomes[index]!;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
