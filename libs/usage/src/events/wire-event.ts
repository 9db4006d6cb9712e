import type { ActionType, AgentType } from '../domain/agent-type';
import { NO_METADATA } from './valid-event';

/**
 * One event on a wire (HTTP body, job data), snake_case as in the API contract. Values are not
 * trusted: only `parseWireEvent` turns it into a ValidEvent.
 */
export interface WireEvent {
  agent: AgentType;
  action_type: ActionType;
  resource_id: string;
  quantity?: number;
  idempotency_key?: string;
  /** ISO-8601; absent in job data: the event happened when it was enqueued (`enqueued_at`). */
  occurred_at?: string;
  metadata?: Readonly<Record<string, unknown>>;
}

/**
 * An event as TypeScript callers of the producer give it (`usage.track({ tenantId, agent, ... })`),
 * camelCase. A ValidEvent is one too, so the same mapping writes job data.
 */
export interface TrackEventInput {
  tenantId: string;
  agent: AgentType;
  actionType: ActionType;
  resourceId: string;
  quantity?: number;
  idempotencyKey?: string;
  occurredAt?: Date | string;
  metadata?: Readonly<Record<string, unknown>>;
}

/** How toWireEvent writes `occurred_at`. */
export interface WireEventOptions {
  /** Leave out an occurred_at equal to this instant (ms): the worker reads a missing one as `enqueued_at`. */
  enqueuedAt?: number;
  /** Date to ISO text (a per-batch memo: see isoStrings). */
  iso?: (date: Date) => string;
}

const toIso = (date: Date): string => date.toISOString();

/** The one camelCase -> snake_case mapping of an event (the tenant travels next to it). */
export function toWireEvent(event: TrackEventInput, options: WireEventOptions = {}): WireEvent {
  // Assigned, not spread: this runs for every event a producer enqueues.
  const wire: WireEvent = { agent: event.agent, action_type: event.actionType, resource_id: event.resourceId, quantity: event.quantity ?? 1 };
  if (event.idempotencyKey !== undefined) wire.idempotency_key = event.idempotencyKey;
  const occurredAt = event.occurredAt;
  if (occurredAt instanceof Date) {
    if (occurredAt.getTime() !== options.enqueuedAt) wire.occurred_at = (options.iso ?? toIso)(occurredAt);
  } else if (occurredAt !== undefined) {
    wire.occurred_at = occurredAt;
  }
  if (event.metadata !== undefined && event.metadata !== NO_METADATA) wire.metadata = event.metadata;
  return wire;
}
