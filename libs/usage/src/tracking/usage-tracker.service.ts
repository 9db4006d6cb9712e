import type { DataSource } from 'typeorm';
import { counter, systemClock } from '@metering/platform';
import type { Clock, Logger } from '@metering/platform';
import type { AgentType } from '../domain/agent-type';
import { periodContaining } from '../domain/billing-period';
import { SubscriptionInactiveError, SubscriptionNotFoundError, TenantNotFoundError } from '../domain/usage-errors';
import type { UsageError } from '../domain/usage-errors';
import { METERED_STATUSES } from '../entities/subscription.entity';
import type { ValidEvent } from '../events/valid-event';
import { TenantBillingStateCache, loadTenantBillingStates } from './subscription-lookup';
import type { TenantBillingState } from './subscription-lookup';
import { BlockQuotaGuard } from './block-quota.guard';
import { commitEvents } from './commit-events';
import type { CounterChange, PlacedEvent, TrackOutcome, TrackResult } from './commit-events';

export type { CounterChange, TrackOutcome, TrackResult } from './commit-events';

/**
 * What became of one group (one job's events), which is atomic: every event counted, or none.
 * `rejected`: an event cannot be counted (unknown tenant, no metered subscription); permanent.
 * `failed`: the commit failed (Postgres away, or this group's data refused); retrying may succeed.
 */
export type GroupOutcome =
  | { status: 'committed'; /** One per event, in order. */ results: TrackResult[] }
  | { status: 'rejected'; errors: Array<{ index: number; error: UsageError }> }
  | { status: 'failed'; error: unknown };

export interface TrackGroupsResult {
  /** One per group, in order. */
  groups: GroupOutcome[];
  /** Every counter the committed groups moved (for threshold alerts). */
  counters: CounterChange[];
}

export interface UsageTrackerOptions {
  logger: Logger;
  /** The clock of the billing-state cache. */
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

/**
 * Records usage events exactly once. Events arrive parsed (ValidEvent: every rule that needs no
 * database already held); the tracker checks only what needs Postgres -- the tenant exists, its
 * subscription is present and metered, the period containing each event -- and commits in ONE
 * statement: the events are inserted `ON CONFLICT DO NOTHING` and only the quantities actually
 * inserted are added to the counters of their periods, so a retried or duplicated event never
 * changes a counter twice.
 */
export class UsageTracker {
  private readonly clock: Clock;
  private readonly billingStates: TenantBillingStateCache | null;
  private readonly quotaGuard: BlockQuotaGuard;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: UsageTrackerOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.billingStates = options.billingStateCacheMs
      ? new TenantBillingStateCache(options.billingStateCacheMs, (state) => state.status !== null && state.period !== null && METERED_STATUSES.includes(state.status))
      : null;
    this.quotaGuard = new BlockQuotaGuard(dataSource, options.billingStateCacheMs ?? 0);
  }

  /**
   * THE entry point: records groups of events (a group is one job's events, atomic). Resolves
   * every tenant's billing state with one query, rejects each group holding an event that cannot
   * be counted, and commits the accepted groups in one statement. When Postgres refuses that
   * statement's data (SQLSTATE class 22 or 23), one group is poison: retrying all of them would
   * fail again and take the healthy ones down on every retry, so each group is then committed on
   * its own and only the poisonous one fails. Throws only when the billing state cannot be read.
   */
  async track(groups: ReadonlyArray<readonly ValidEvent[]>): Promise<TrackGroupsResult> {
    const outcomes = new Array<GroupOutcome>(groups.length);
    let accepted: Array<{ group: number; events: PlacedEvent[] }> = [];
    const states = await this.billingStatesOf(groups);
    groups.forEach((events, group) => {
      const placed = this.place(events, states);
      if (Array.isArray(placed)) accepted.push({ group, events: placed });
      else outcomes[group] = placed;
    });
    // The `block` policy: a group that would pass a blocked limit is refused, counted nowhere.
    const refused = accepted.length > 0 ? await this.quotaGuard.refuse(accepted.map(({ events }) => events), this.clock().getTime()) : new Map();
    for (const [index, errors] of refused) {
      outcomes[accepted[index]!.group] = { status: 'rejected', errors };
      for (const { index: at, error } of errors) this.reject(accepted[index]!.events[at]!.event, error);
    }
    if (refused.size > 0) accepted = accepted.filter((_, index) => !refused.has(index));
    const counters: CounterChange[] = [];
    if (accepted.length > 0) {
      try {
        const committed = await commitEvents(this.dataSource, accepted.flatMap(({ events }) => events));
        this.observe(committed.results);
        let offset = 0;
        for (const { group, events } of accepted) {
          outcomes[group] = { status: 'committed', results: committed.results.slice(offset, offset + events.length) };
          offset += events.length;
        }
        counters.push(...committed.counters);
      } catch (error) {
        if (accepted.length > 1 && isDataError(error)) {
          await this.commitOneByOne(accepted, outcomes, counters);
        } else {
          this.options.logger.warn('usage batch not committed; its jobs will be retried', { jobs: accepted.length, error: String(error) });
          for (const { group } of accepted) outcomes[group] = { status: 'failed', error };
        }
      }
    }
    return { groups: outcomes, counters };
  }

  private async commitOneByOne(
    accepted: ReadonlyArray<{ group: number; events: PlacedEvent[] }>,
    outcomes: GroupOutcome[],
    counters: CounterChange[],
  ): Promise<void> {
    this.options.logger.warn('usage batch rejected by Postgres; committing its jobs one by one', { jobs: accepted.length });
    await Promise.all(
      accepted.map(async ({ group, events }) => {
        try {
          const own = await commitEvents(this.dataSource, events);
          this.observe(own.results);
          outcomes[group] = { status: 'committed', results: own.results };
          counters.push(...own.counters);
        } catch (error) {
          outcomes[group] = { status: 'failed', error };
        }
      }),
    );
  }

  private async billingStatesOf(groups: ReadonlyArray<readonly ValidEvent[]>): Promise<Map<string, TenantBillingState>> {
    const tenantIds = new Set<string>();
    for (const events of groups) for (const event of events) tenantIds.add(event.tenantId);
    if (tenantIds.size === 0) return new Map();
    const ids = [...tenantIds];
    return this.billingStates
      ? this.billingStates.load(this.dataSource, ids, this.clock().getTime())
      : loadTenantBillingStates(this.dataSource, ids);
  }

  /** A group's events with their periods, or the rejection naming each event that cannot be counted. */
  private place(events: readonly ValidEvent[], states: ReadonlyMap<string, TenantBillingState>): PlacedEvent[] | GroupOutcome {
    const placed: PlacedEvent[] = [];
    const errors: Array<{ index: number; error: UsageError }> = [];
    events.forEach((event, index) => {
      const state = states.get(event.tenantId);
      let error: UsageError | null = null;
      if (!state) error = new TenantNotFoundError(event.tenantId);
      else if (!state.status || !state.period) error = new SubscriptionNotFoundError(event.tenantId);
      else if (!METERED_STATUSES.includes(state.status)) error = new SubscriptionInactiveError(event.tenantId, state.status);
      else if (errors.length === 0) placed.push({ event, period: periodContaining(state.period, state.anchorDay, event.occurredAt) });
      if (error) errors.push({ index, error: this.reject(event, error) });
    });
    return errors.length > 0 ? { status: 'rejected', errors } : placed;
  }

  private reject(event: ValidEvent, error: UsageError): UsageError {
    eventsTotal.inc({ agent: event.agent, outcome: 'rejected' });
    this.options.logger.debug('usage event rejected', { tenantId: event.tenantId, agent: event.agent, code: error.code });
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
 * SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation): the statement's
 * input is wrong, so retrying the same rows cannot succeed. Connection failures carry no such code.
 */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23)[0-9A-Z]{3}$/.test(code);
}
