import type { ActionType, AgentType } from '../domain/agent-type';

declare const validEventBrand: unique symbol;

/**
 * A usage event that passed every check that needs no database: the only shape the tracker
 * takes. The brand is a unique symbol that only `parse-event.ts` asserts, so a ValidEvent can
 * come from nowhere but the parser (the wire rule: snake_case on every wire, this camelCase
 * shape in memory). Read-only; the Date is shared by events of one batch, never mutate it.
 */
export interface ValidEvent {
  readonly [validEventBrand]: true;
  /** Lower-case canonical UUID: one tenant however the caller capitalised it. */
  readonly tenantId: string;
  readonly agent: AgentType;
  readonly actionType: ActionType;
  readonly resourceId: string;
  readonly quantity: number;
  /** As given, or derived from (tenant, agent, action, resource) when absent. */
  readonly idempotencyKey: string;
  /** As given, or the default of the parse (the producer's "now", the worker's enqueue time). */
  readonly occurredAt: Date;
  /** The client's object exactly as sent; NO_METADATA when it sent none. */
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** The metadata of an event sent without any: one shared empty object, left out of job data. */
export const NO_METADATA: Readonly<Record<string, unknown>> = Object.freeze({});
