import type { DataSource } from 'typeorm';
import { counter, systemClock } from '@metering/platform';
import type { Clock } from '@metering/platform';
import { periodContaining } from '../domain/billing-period';
import { periodFinalMessage } from '../domain/invoice-window';
import { IdempotencyConflictError, PeriodFinalError, SubscriptionInactiveError, SubscriptionNotFoundError, TenantNotFoundError } from '../domain/usage-errors';
import type { FieldError } from '../domain/usage-errors';
import { METERED_STATUSES } from '../entities/subscription.entity';
import type { ValidEvent } from '../events/valid-event';
import { withinBudget } from '../support/within-budget';
import { StoredEventLookup } from './stored-event-lookup';
import type { StoredEventContent } from './stored-event-lookup';
import { TenantBillingStateCache } from './subscription-lookup';

/**
 * How long admission may wait for Postgres. Beyond it (Postgres slow or away) the request is
 * admitted unchecked, as ingest did before: it needs only Redis, and the worker checks the same
 * things when it commits, dead-lettering what it cannot count. Availability of ingest through a
 * Postgres outage is kept; no event is dropped either way.
 */
export const ADMISSION_DB_BUDGET_MS = 500;

const uncheckedTotal = counter({
  name: 'usage_ingest_unchecked_total',
  help: 'Ingest requests admitted without the database checks because Postgres did not answer in time (the worker checks them)',
  labelNames: ['check'] as const,
});

export interface IngestAdmissionOptions {
  clock?: Clock;
  /** INVOICE_GRACE_SECONDS: events are refused once their period's invoice is final. */
  invoiceGraceSeconds: number;
  /** How long a metered tenant's billing state is reused (default 5 s, like the worker's). */
  billingStateCacheMs?: number;
}

function describe(content: StoredEventContent): string {
  return `agent ${content.agent}, action_type ${content.actionType}, resource_id ${content.resourceId}, quantity ${content.quantity}`;
}

const contentOf = (event: ValidEvent): StoredEventContent => ({
  agent: event.agent,
  actionType: event.actionType,
  resourceId: event.resourceId,
  quantity: event.quantity,
});

const sameContent = (a: StoredEventContent, b: StoredEventContent): boolean =>
  a.agent === b.agent && a.actionType === b.actionType && a.resourceId === b.resourceId && a.quantity === b.quantity;

/**
 * What the ingest API checks before it answers 202, so an accepted event is one the worker can
 * count: the tenant exists and its subscription is metered, each event's billing period can
 * still be billed (its invoice is not final), and no idempotency key is already stored for a
 * different event. The billing state comes from a few seconds of memory (one Postgres read per
 * tenant per TTL, not per request); the key lookup is one primary-key query per burst of
 * concurrent requests (StoredEventLookup). The worker checks all of this again when it commits:
 * what changed in between is dead-lettered there, never dropped. When Postgres does not answer
 * within ADMISSION_DB_BUDGET_MS the checks that need it are skipped (counted in
 * `usage_ingest_unchecked_total`) and the worker's checks decide.
 */
export class IngestAdmission {
  private readonly clock: Clock;
  private readonly states: TenantBillingStateCache;
  private readonly stored: StoredEventLookup;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: IngestAdmissionOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.states = new TenantBillingStateCache(options.billingStateCacheMs ?? 5000, (state) => state.status !== null && state.period !== null && METERED_STATUSES.includes(state.status));
    this.stored = new StoredEventLookup(dataSource);
  }

  /** Throws the UsageError naming what refuses the request; resolves when every event is countable. */
  async admit(tenantId: string, events: readonly ValidEvent[]): Promise<void> {
    const now = this.clock();
    const states = await withinBudget(this.states.load(this.dataSource, [tenantId], now.getTime()), ADMISSION_DB_BUDGET_MS, null, () => uncheckedTotal.inc({ check: 'billing_state' }));
    if (!states) return;
    const state = states.get(tenantId);
    if (!state) throw new TenantNotFoundError(tenantId);
    if (!state.status || !state.period) throw new SubscriptionNotFoundError(tenantId);
    if (!METERED_STATUSES.includes(state.status)) throw new SubscriptionInactiveError(tenantId, state.status);
    const prefix = (index: number): string => (events.length > 1 ? `events[${index}].` : '');

    const final: FieldError[] = [];
    events.forEach((event, index) => {
      const message = periodFinalMessage(periodContaining(state.period!, state.anchorDay, event.occurredAt), now, this.options.invoiceGraceSeconds);
      if (message) final.push({ field: `${prefix(index)}occurred_at`, message });
    });
    if (final.length > 0) throw new PeriodFinalError(final);

    const conflicts: FieldError[] = [];
    const firstInRequest = new Map<string, StoredEventContent>();
    events.forEach((event, index) => {
      const first = firstInRequest.get(event.idempotencyKey);
      if (!first) firstInRequest.set(event.idempotencyKey, contentOf(event));
      else if (!sameContent(first, contentOf(event))) {
        conflicts.push({ field: `${prefix(index)}idempotency_key`, message: `idempotency_key ${event.idempotencyKey} is used by another event of this request (${describe(first)})` });
      }
    });
    if (conflicts.length > 0) throw new IdempotencyConflictError(conflicts);
    const stored = await withinBudget(this.stored.find(tenantId, [...firstInRequest.keys()]), ADMISSION_DB_BUDGET_MS, new Map<string, StoredEventContent>(), () =>
      uncheckedTotal.inc({ check: 'idempotency_keys' }),
    );
    events.forEach((event, index) => {
      const existing = stored.get(event.idempotencyKey);
      if (existing && !sameContent(existing, contentOf(event))) {
        conflicts.push({ field: `${prefix(index)}idempotency_key`, message: `idempotency_key ${event.idempotencyKey} was already used for another event (${describe(existing)})` });
      }
    });
    if (conflicts.length > 0) throw new IdempotencyConflictError(conflicts);
  }
}
