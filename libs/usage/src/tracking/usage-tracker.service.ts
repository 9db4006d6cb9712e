import type { DataSource } from 'typeorm';
import { counter, isUuid, preparedQuery, systemClock } from '@metering/platform';
import type { Clock, Logger } from '@metering/platform';
import { AGENT_TYPES, isActionType, isAgentType } from '../domain/agent-type';
import type { ActionType, AgentType } from '../domain/agent-type';
import { periodContaining } from '../domain/billing-period';
import { MAX_QUANTITY, agentActionError, occurredAtError } from '../domain/event-rules';
import type { OccurredAtWindow } from '../domain/event-rules';
import {
  SubscriptionInactiveError,
  SubscriptionNotFoundError,
  TenantNotFoundError,
  UsageError,
  ValidationFailedError,
} from '../domain/usage-errors';
import type { FieldError } from '../domain/usage-errors';
import type { TrackEventInput } from '../dto/track-event.dto';
import { METERED_STATUSES } from '../entities/subscription.entity';
import { deriveIdempotencyKey } from './idempotency-key';
import { TenantBillingStateCache, loadTenantBillingStates } from './subscription-lookup';
import { COMMIT_EVENTS_SQL } from './commit-events.sql';


/** An event that passed every check and knows the period whose counter it adds to. */
export interface PreparedEvent {
  tenantId: string;
  agent: AgentType;
  actionType: ActionType;
  resourceId: string;
  quantity: number;
  idempotencyKey: string;
  metadata: Record<string, unknown>;
  occurredAt: Date;
  periodStart: Date;
  periodEnd: Date;
}

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

export interface TrackBatchResult {
  /** One result per input, in input order. */
  results: TrackResult[];
  counters: CounterChange[];
}

export interface UsageTrackerOptions {
  logger: Logger;
  window: OccurredAtWindow;
  clock?: Clock;
  /**
   * Reuse a tenant's metered subscription state this long instead of reading it for every batch
   * (0, the default: always read). The worker sets a few seconds; see TenantBillingStateCache.
   */
  billingStateCacheMs?: number;
}

const eventsTotal = counter({
  name: 'usage_events_total',
  help: 'Usage events processed by the tracker, by agent and outcome (recorded, duplicate, rejected)',
  labelNames: ['agent', 'outcome'] as const,
});

interface CommitRow {
  /** [tenant_id, idempotency_key] of sent events that were already stored. */
  duplicates: Array<[string, string]>;
  /** [tenant_id, agent, period_start ms, period_end ms, count, added] of each moved counter. */
  counters: Array<[string, AgentType, number | string, number | string, number | string, number | string]>;
}

/**
 * Records usage events exactly once. Each commit is ONE Postgres statement: the events are
 * inserted `ON CONFLICT DO NOTHING` and only the quantities actually inserted are added to the
 * counters of their periods, so a retried or duplicated event never changes a counter twice.
 */
export class UsageTracker {
  private readonly clock: Clock;
  private readonly billingStates: TenantBillingStateCache | null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: UsageTrackerOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.billingStates = options.billingStateCacheMs
      ? new TenantBillingStateCache(options.billingStateCacheMs, (state) => state.status !== null && state.period !== null && METERED_STATUSES.includes(state.status))
      : null;
  }

  /** Records one event; throws a UsageError (nothing written) when it cannot be counted. */
  async trackEvent(input: TrackEventInput): Promise<TrackResult> {
    const { results } = await this.trackEvents([input]);
    return results[0]!;
  }

  /** Records a batch atomically: every event is checked first, and one bad event fails the whole batch. */
  async trackEvents(inputs: readonly TrackEventInput[]): Promise<TrackBatchResult> {
    const prepared = await this.prepare(inputs);
    const failure = prepared.find((item): item is UsageError => item instanceof UsageError);
    if (failure) throw failure;
    return this.commit(prepared as PreparedEvent[]);
  }

  /**
   * Checks each input and resolves its tenant's period, with one query for the whole batch.
   * Returns, per input, the prepared event or the UsageError that rejects it, so a caller that
   * gathers many jobs can fail only the bad ones.
   */
  async prepare(inputs: readonly TrackEventInput[]): Promise<Array<PreparedEvent | UsageError>> {
    const now = this.clock();
    // A UUID is one tenant however it is capitalised: lower case is the form stored and looked up.
    const canonicalIds = inputs.map((input) =>
      typeof input.tenantId === 'string' && isUuid(input.tenantId) ? input.tenantId.toLowerCase() : null,
    );
    const tenantIds = [...new Set(canonicalIds.filter((id): id is string => id !== null))];
    const states =
      tenantIds.length === 0
        ? new Map()
        : this.billingStates
          ? await this.billingStates.load(this.dataSource, tenantIds, now.getTime())
          : await loadTenantBillingStates(this.dataSource, tenantIds);
    // Events of one job usually share their occurred_at (the enqueue time): parse each text once.
    const instants = new Map<string, Date>();
    const instantOf = (value: Date | string | undefined): Date => {
      if (value === undefined) return now;
      if (value instanceof Date) return value;
      let instant = instants.get(value);
      if (instant === undefined) {
        instant = new Date(value);
        instants.set(value, instant);
      }
      return instant;
    };
    return inputs.map((input, index) => {
      const occurredAt = instantOf(input.occurredAt);
      const fieldErrors = this.check(input, now, occurredAt);
      if (fieldErrors.length > 0) return this.reject(input, new ValidationFailedError(fieldErrors));
      const tenantId = canonicalIds[index]!; // check() refused anything that is not a UUID
      const state = states.get(tenantId);
      if (!state) return this.reject(input, new TenantNotFoundError(input.tenantId));
      if (!state.status || !state.period) return this.reject(input, new SubscriptionNotFoundError(input.tenantId));
      if (!METERED_STATUSES.includes(state.status)) {
        return this.reject(input, new SubscriptionInactiveError(input.tenantId, state.status));
      }
      const period = periodContaining(state.period, state.anchorDay, occurredAt);
      return {
        tenantId,
        agent: input.agent,
        actionType: input.actionType,
        resourceId: input.resourceId,
        quantity: input.quantity ?? 1,
        idempotencyKey: input.idempotencyKey ?? deriveIdempotencyKey(tenantId, input.agent, input.actionType, input.resourceId),
        metadata: input.metadata ?? {},
        occurredAt,
        periodStart: period.start,
        periodEnd: period.end,
      };
    });
  }

  /** Writes prepared events and their counter increments in one atomic statement. */
  async commit(events: readonly PreparedEvent[]): Promise<TrackBatchResult> {
    if (events.length === 0) return { results: [], counters: [] };
    // A fixed order of unique-index and counter locks keeps concurrent batches from deadlocking.
    // Sorted, a key repeated within the batch is adjacent: only its first occurrence is sent.
    const sorted = [...events].sort((a, b) => compare(a.tenantId, b.tenantId) || compare(a.idempotencyKey, b.idempotencyKey));
    const rows: PreparedEvent[] = [];
    for (const event of sorted) {
      const last = rows[rows.length - 1];
      if (!last || last.tenantId !== event.tenantId || last.idempotencyKey !== event.idempotencyKey) rows.push(event);
    }
    const isoOf = isoStrings();
    const input = JSON.stringify(
      rows.map((e) => ({
        tenant_id: e.tenantId,
        agent: e.agent,
        action_type: e.actionType,
        resource_id: e.resourceId,
        quantity: e.quantity,
        idempotency_key: e.idempotencyKey,
        metadata: e.metadata,
        occurred_at: isoOf(e.occurredAt),
        period_start: isoOf(e.periodStart),
        period_end: isoOf(e.periodEnd),
      })),
    );
    const [result] = await preparedQuery<CommitRow>(this.dataSource, 'usage-commit-events', COMMIT_EVENTS_SQL, [input]);
    const outcomes = outcomesOf(events, rows.length, result!.duplicates);
    const results = events.map(
      (event, index): TrackResult => ({ tenantId: event.tenantId, agent: event.agent, idempotencyKey: event.idempotencyKey, outcome: outcomes(index) }),
    );
    this.observe(results);
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

  private check(input: TrackEventInput, now: Date, occurredAt: Date): FieldError[] {
    const errors: FieldError[] = [];
    if (!isUuid(String(input.tenantId))) errors.push({ field: 'tenant_id', message: 'tenant_id must be a UUID' });
    if (!isAgentType(input.agent)) {
      errors.push({ field: 'agent', message: `agent must be one of ${AGENT_TYPES.join(', ')}` });
    }
    if (!isActionType(input.actionType)) errors.push({ field: 'action_type', message: 'action_type is not a known action' });
    const pairError = agentActionError(input.agent, input.actionType);
    if (pairError) errors.push(pairError);
    if (typeof input.resourceId !== 'string' || input.resourceId.length === 0 || input.resourceId.length > 255) {
      errors.push({ field: 'resource_id', message: 'resource_id must be 1 to 255 characters' });
    }
    const quantity = input.quantity ?? 1;
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
      errors.push({ field: 'quantity', message: `quantity must be an integer from 1 to ${MAX_QUANTITY}` });
    }
    if (input.idempotencyKey !== undefined && (input.idempotencyKey.length === 0 || input.idempotencyKey.length > 255)) {
      errors.push({ field: 'idempotency_key', message: 'idempotency_key must be 1 to 255 characters' });
    }
    if (input.occurredAt !== undefined) {
      const timeError = occurredAtError(occurredAt, now, this.options.window);
      if (timeError) errors.push(timeError);
    }
    return errors;
  }

  private reject(input: TrackEventInput, error: UsageError): UsageError {
    eventsTotal.inc({ agent: isAgentType(input.agent) ? input.agent : 'unknown', outcome: 'rejected' });
    this.options.logger.debug('usage event rejected', { tenantId: input.tenantId, agent: input.agent, code: error.code });
    return error;
  }

  private observe(results: readonly TrackResult[]): void {
    const debug = this.options.logger.isDebugEnabled();
    // One metric update per (agent, outcome) of the batch, not one per event.
    const tally = new Map<string, { agent: AgentType; outcome: TrackOutcome; count: number }>();
    for (const result of results) {
      const key = `${result.agent}:${result.outcome}`;
      const entry = tally.get(key);
      if (entry) entry.count += 1;
      else tally.set(key, { agent: result.agent, outcome: result.outcome, count: 1 });
      if (debug) {
        this.options.logger.debug('usage event tracked', {
          tenantId: result.tenantId,
          agent: result.agent,
          outcome: result.outcome,
        });
      }
    }
    for (const { agent, outcome, count } of tally.values()) eventsTotal.inc({ agent, outcome }, count);
  }
}

/**
 * Each event's outcome by its index: the first occurrence of a key in the batch is recorded unless
 * Postgres already had it; later occurrences are duplicates. In the common case (no repeated key,
 * nothing already stored) every event is recorded and no key is built.
 */
function outcomesOf(events: readonly PreparedEvent[], sentCount: number, stored: ReadonlyArray<[string, string]>): (index: number) => TrackOutcome {
  if (sentCount === events.length && stored.length === 0) return () => 'recorded';
  const keyOf = (tenantId: string, idempotencyKey: string): string => `${tenantId}\u0000${idempotencyKey}`;
  const claimed = new Set(stored.map(([tenantId, key]) => keyOf(tenantId, key)));
  const outcomes = events.map((event): TrackOutcome => {
    const key = keyOf(event.tenantId, event.idempotencyKey);
    if (claimed.has(key)) return 'duplicate';
    claimed.add(key);
    return 'recorded';
  });
  return (index) => outcomes[index]!;
}

/** toISOString, remembered per instant: a batch's events share a few periods and enqueue times. */
function isoStrings(): (date: Date) => string {
  const seen = new Map<number, string>();
  return (date) => {
    const time = date.getTime();
    let iso = seen.get(time);
    if (iso === undefined) {
      iso = date.toISOString();
      seen.set(time, iso);
    }
    return iso;
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
