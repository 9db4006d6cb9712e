import type { DataSource } from 'typeorm';
import { counter, systemClock } from '@metering/platform';
import type { Clock, Logger } from '@metering/platform';
import type { AgentType } from '../domain/agent-type';
import { periodContaining } from '../domain/billing-period';
import { SubscriptionInactiveError, SubscriptionNotFoundError, TenantNotFoundError } from '../domain/usage-errors';
import { periodFinalMessage } from '../domain/invoice-window';
import { METERED_STATUSES } from '../entities/subscription.entity';
import type { ValidEvent } from '../events/valid-event';
import { TenantBillingStateCache, loadTenantBillingStates } from './subscription-lookup';
import type { TenantBillingState } from './subscription-lookup';
import { BlockQuotaGuard } from './block-quota.guard';
import { commitEvents } from './commit-events';
import { deadLetterOf } from './dead-letter';
import type { NewDeadLetter } from './dead-letter';
import type { CounterChange, PlacedEvent, TrackOutcome, TrackResult } from './commit-events';

export type { CounterChange, TrackOutcome, TrackResult } from './commit-events';

/**
 * What became of one group (one job's events).
 * `committed`: every event has its outcome -- recorded, duplicate, or dead-lettered (unknown
 * tenant, no metered subscription, a period whose invoice is final, a key used for another event:
 * stored with the reason in usage_dead_letters, never counted, never dropped in silence).
 * `failed`: the commit failed (Postgres away, or this group's data refused); retrying may succeed.
 */
export type GroupOutcome =
  | { status: 'committed'; /** One per event, in order. */ results: TrackResult[] }
  | { status: 'failed'; error: unknown };

export interface TrackGroupsResult {
  /** One per group, in order. */
  groups: GroupOutcome[];
  /** Every counter the committed groups moved (for threshold alerts). */
  counters: CounterChange[];
}

export interface UsageTrackerOptions {
  logger: Logger;
  /** The clock of the billing-state cache and of the late-event deadline. */
  clock?: Clock;
  /**
   * Reuse a tenant's metered subscription state this long instead of reading it for every batch
   * (0, the default: always read). The worker sets a few seconds; see TenantBillingStateCache.
   */
  billingStateCacheMs?: number;
  /** INVOICE_GRACE_SECONDS: events of a period are counted until lateEventDeadline (default 3600). */
  invoiceGraceSeconds?: number;
}

/** A group ready to commit: its placed events, its dead letters, and where each event's result comes from. */
interface PreparedGroup {
  group: number;
  events: PlacedEvent[];
  deadLetters: NewDeadLetter[];
  /** Per event in order: an index into `events`, or the dead letter. */
  slots: Array<number | NewDeadLetter>;
}

const eventsTotal = counter({
  name: 'usage_events_total',
  help: 'Usage events processed by the tracker, by agent and outcome (recorded, duplicate, dead_lettered)',
  labelNames: ['agent', 'outcome'] as const,
});

const deadLettersTotal = counter({
  name: 'usage_dead_letter_events_total',
  help: 'Events the worker could not count after they were accepted, stored in usage_dead_letters, by reason',
  labelNames: ['reason'] as const,
});

/**
 * Records usage events exactly once. Events arrive parsed (ValidEvent: every rule that needs no
 * database already held); the tracker checks only what needs Postgres -- the tenant exists, its
 * subscription is present and metered, the period containing each event and whether its invoice
 * can still carry it -- and commits in ONE statement: the events are inserted `ON CONFLICT DO
 * NOTHING` and only the quantities actually inserted are added to the counters of their periods,
 * so a retried or duplicated event never changes a counter twice. An event that cannot be counted
 * (a key stored for other content included) is written to usage_dead_letters in that statement.
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
   * THE entry point: records groups of events (a group is one job's events). Resolves every
   * tenant's billing state with one query, dead-letters each event that cannot be counted, and
   * commits the groups -- events, counters and dead letters, `unparsed[group]` (a group's events
   * the worker could not even parse, e.g. aged out of the window on the way) included -- in one
   * statement; results cover `groups`' events only. When Postgres refuses that
   * statement's data (SQLSTATE class 22 or 23), one group is poison: retrying all of them would
   * fail again and take the healthy ones down on every retry, so each group is then committed on
   * its own and only the poisonous one fails. Throws only when the billing state cannot be read.
   */
  async track(groups: ReadonlyArray<readonly ValidEvent[]>, unparsed: ReadonlyArray<readonly NewDeadLetter[] | undefined> = []): Promise<TrackGroupsResult> {
    const outcomes = new Array<GroupOutcome>(groups.length);
    const states = await this.billingStatesOf(groups);
    const now = this.clock();
    const prepared = groups.map((events, group) => this.prepare(group, events, states, now, unparsed[group] ?? []));
    // The `block` policy: a group that would pass a blocked limit is counted nowhere; its events
    // become dead letters (quota_exceeded) like everything else acknowledged but not countable.
    const placed = prepared.filter((entry) => entry.events.length > 0);
    const refused = placed.length > 0 ? await this.quotaGuard.refuse(placed.map(({ events }) => events), now.getTime()) : new Map();
    for (const [index, errors] of refused) blockGroup(placed[index]!, errors[0]!.error.message);
    const counters: CounterChange[] = [];
    if (prepared.length > 0) {
      try {
        const committed = await commitEvents(this.dataSource, prepared.flatMap(({ events }) => events), prepared.flatMap(({ deadLetters }) => deadLetters));
        let offset = 0;
        for (const entry of prepared) {
          outcomes[entry.group] = { status: 'committed', results: resultsOf(entry, committed.results.slice(offset, offset + entry.events.length)) };
          offset += entry.events.length;
        }
        counters.push(...committed.counters);
      } catch (error) {
        if (prepared.length > 1 && isDataError(error)) {
          await this.commitOneByOne(prepared, outcomes, counters);
        } else {
          this.options.logger.warn('usage batch not committed; its jobs will be retried', { jobs: prepared.length, error: String(error) });
          for (const { group } of prepared) outcomes[group] = { status: 'failed', error };
        }
      }
    }
    prepared.forEach((entry) => {
      if (outcomes[entry.group]?.status !== 'committed') return;
      this.observe((outcomes[entry.group] as { results: TrackResult[] }).results);
      for (const dead of unparsed[entry.group] ?? []) deadLettersTotal.inc({ reason: dead.reason });
    });
    return { groups: outcomes, counters };
  }

  private async commitOneByOne(prepared: readonly PreparedGroup[], outcomes: GroupOutcome[], counters: CounterChange[]): Promise<void> {
    this.options.logger.warn('usage batch rejected by Postgres; committing its jobs one by one', { jobs: prepared.length });
    await Promise.all(
      prepared.map(async (entry) => {
        try {
          const own = await commitEvents(this.dataSource, entry.events, entry.deadLetters);
          outcomes[entry.group] = { status: 'committed', results: resultsOf(entry, own.results) };
          counters.push(...own.counters);
        } catch (error) {
          outcomes[entry.group] = { status: 'failed', error };
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

  /**
   * A group's events with their periods; each event that cannot be counted becomes a dead letter
   * naming why (the others of the group are still counted: the API accepted each of them).
   */
  private prepare(
    group: number,
    events: readonly ValidEvent[],
    states: ReadonlyMap<string, TenantBillingState>,
    now: Date,
    unparsed: readonly NewDeadLetter[],
  ): PreparedGroup {
    const prepared: PreparedGroup = { group, events: [], deadLetters: [...unparsed], slots: [] };
    const grace = this.options.invoiceGraceSeconds ?? 3600;
    for (const event of events) {
      const state = states.get(event.tenantId);
      let dead: NewDeadLetter | null = null;
      if (!state) dead = deadLetterOf(event, 'tenant_not_found', new TenantNotFoundError(event.tenantId).message);
      else if (!state.status || !state.period) dead = deadLetterOf(event, 'subscription_not_found', new SubscriptionNotFoundError(event.tenantId).message);
      else if (!METERED_STATUSES.includes(state.status)) {
        dead = deadLetterOf(event, 'subscription_inactive', new SubscriptionInactiveError(event.tenantId, state.status).message);
      } else {
        const period = periodContaining(state.period, state.anchorDay, event.occurredAt);
        const final = periodFinalMessage(period, now, grace);
        if (final) dead = deadLetterOf(event, 'period_final', final);
        else {
          prepared.slots.push(prepared.events.length);
          prepared.events.push({ event, period });
        }
      }
      if (dead) {
        this.options.logger.debug('usage event dead-lettered', { tenantId: event.tenantId, agent: event.agent, reason: dead.reason });
        prepared.deadLetters.push(dead);
        prepared.slots.push(dead);
      }
    }
    return prepared;
  }

  private observe(results: readonly TrackResult[]): void {
    for (const result of results) if (result.deadLetter) deadLettersTotal.inc({ reason: result.deadLetter.reason });
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
 * Turns every placed event of a group the `block` policy refuses into a dead letter
 * (quota_exceeded, with the refusal naming the limit): the group is counted nowhere, as a job it
 * completes, and nothing acknowledged is dropped in silence.
 */
function blockGroup(entry: PreparedGroup, detail: string): void {
  const blocked = entry.events.map(({ event }) => deadLetterOf(event, 'quota_exceeded', detail));
  entry.slots = entry.slots.map((slot) => (typeof slot === 'number' ? blocked[slot]! : slot));
  entry.deadLetters.push(...blocked);
  entry.events = [];
}

/** A group's results in event order: commit results for placed events, dead letters for the rest. */
function resultsOf(entry: PreparedGroup, committed: readonly TrackResult[]): TrackResult[] {
  return entry.slots.map((slot): TrackResult => {
    if (typeof slot === 'number') return committed[slot]!;
    return { tenantId: slot.tenantId, agent: slot.event.agent as AgentType, idempotencyKey: slot.idempotencyKey, outcome: 'dead_lettered', deadLetter: slot };
  });
}

/**
 * SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation): the statement's
 * input is wrong, so retrying the same rows cannot succeed. Connection failures carry no such code.
 */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23)[0-9A-Z]{3}$/.test(code);
}
