import { isUuid } from '@metering/platform';
import type { ActionType, AgentType } from '../domain/agent-type';
import { occurredAtError } from '../domain/event-rules';
import type { OccurredAtWindow } from '../domain/event-rules';
import { ValidationFailedError } from '../domain/usage-errors';
import type { FieldError } from '../domain/usage-errors';
import { deriveIdempotencyKey } from './idempotency-key';
import { isPlainlyValidEvent } from './plain-event';
import { NO_METADATA } from './valid-event';
import type { ValidEvent } from './valid-event';
import { toWireEvent } from './wire-event';
import type { TrackEventInput } from './wire-event';
import { wireEventErrors } from './wire-event.dto';

/** What a parse checks an event against besides its own fields. */
export interface EventParseContext {
  /** The clock reading the occurred_at window is measured from. */
  now: Date;
  /** From config (`occurredAtWindow(config.usage)`), or DEFAULT_OCCURRED_AT_WINDOW. */
  window: OccurredAtWindow;
  /**
   * occurred_at of an event sent without one (default `now`): the worker passes the job's
   * enqueue time, so a retried job still counts in the period the agent reported it in.
   */
  occurredAtDefault?: Date;
}

export type EventParseResult = { ok: true; event: ValidEvent } | { ok: false; errors: FieldError[] };

/** One event as it travels in job data and is handed to the producer: the tenant next to the wire event. */
export interface WireEventItem {
  tenant_id: unknown;
  event: unknown;
}

type FieldCheck = (raw: unknown, prefix: string) => readonly FieldError[];

const NO_ERRORS: readonly FieldError[] = [];
const fastThenFull: FieldCheck = (raw, prefix) =>
  raw !== null && typeof raw === 'object' && !Array.isArray(raw) && isPlainlyValidEvent(raw as Record<string, unknown>)
    ? NO_ERRORS
    : wireEventErrors(raw, prefix);
const toDate = (text: string): Date => new Date(text);

/**
 * THE parser of a usage event, used by the HTTP ingest route and the producer (through the
 * usage client) and by the worker on job data: wire input (snake_case) in, a ValidEvent or
 * every field error out. Field names in errors carry `prefix` (e.g. `events[3].`).
 */
export function parseWireEvent(tenantId: unknown, raw: unknown, prefix: string, context: EventParseContext): EventParseResult {
  return parse(fastThenFull, tenantId, raw, prefix, context, toDate);
}

/** parseWireEvent without the fast path: every field through class-validator (exported for its test). */
export function parseWireEventFully(tenantId: unknown, raw: unknown, prefix: string, context: EventParseContext): EventParseResult {
  return parse(wireEventErrors, tenantId, raw, prefix, context, toDate);
}

function parse(
  fieldCheck: FieldCheck,
  tenantId: unknown,
  raw: unknown,
  prefix: string,
  context: EventParseContext,
  instantOf: (text: string) => Date,
): EventParseResult {
  const validTenant = typeof tenantId === 'string' && isUuid(tenantId);
  const fieldErrors = fieldCheck(raw, prefix);
  const errors: FieldError[] = validTenant ? [] : [{ field: `${prefix}tenant_id`, message: 'tenant_id must be a UUID' }];
  if (fieldErrors.length > 0) return { ok: false, errors: [...errors, ...fieldErrors] };
  const source = raw as Record<string, unknown>;
  const occurredAtText = source.occurred_at as string | undefined;
  const occurredAt = occurredAtText === undefined ? (context.occurredAtDefault ?? context.now) : instantOf(occurredAtText);
  const timeError = occurredAtError(occurredAt, context.now, context.window, prefix);
  if (timeError) errors.push(timeError);
  if (errors.length > 0) return { ok: false, errors };
  // One tenant however its UUID is capitalised: job ids, derived keys and rows use lower case.
  const canonicalTenantId = (tenantId as string).toLowerCase();
  const agent = source.agent as AgentType;
  const actionType = source.action_type as ActionType;
  const resourceId = source.resource_id as string;
  const event = {
    tenantId: canonicalTenantId,
    agent,
    actionType,
    resourceId,
    quantity: (source.quantity as number | undefined) ?? 1,
    idempotencyKey: (source.idempotency_key as string | undefined) ?? deriveIdempotencyKey(canonicalTenantId, agent, actionType, resourceId),
    occurredAt,
    metadata: (source.metadata as Record<string, unknown> | undefined) ?? NO_METADATA,
  } as ValidEvent;
  return { ok: true, event };
}

/**
 * Parses every event of a batch (a request, a trackMany call, a job) or throws one
 * ValidationFailedError naming each bad field, `events[i].`-prefixed when there are several.
 */
export function parseWireEvents(items: readonly WireEventItem[], context: EventParseContext): ValidEvent[] {
  // Events of one batch often share their occurred_at text: parse it once.
  let lastText: string | undefined;
  let lastInstant = context.now;
  const instantOf = (text: string): Date => {
    if (text !== lastText) {
      lastText = text;
      lastInstant = new Date(text);
    }
    return lastInstant;
  };
  const errors: FieldError[] = [];
  const events: ValidEvent[] = [];
  for (let index = 0; index < items.length; index++) {
    const item = items[index]!;
    const parsed = parse(fastThenFull, item.tenant_id, item.event, items.length > 1 ? `events[${index}].` : '', context, instantOf);
    if (parsed.ok) events.push(parsed.event);
    else errors.push(...parsed.errors);
  }
  if (errors.length > 0) throw new ValidationFailedError(errors);
  return events;
}

/** parseWireEvents for TypeScript callers' camelCase events, through the one mapping (toWireEvent). */
export function parseTrackEventInputs(inputs: readonly TrackEventInput[], context: EventParseContext): ValidEvent[] {
  return parseWireEvents(
    inputs.map((input) => ({ tenant_id: input.tenantId, event: toWireEvent(input) })),
    context,
  );
}
