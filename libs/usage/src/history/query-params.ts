import { AGENT_TYPES } from '../domain/agent-type';
import type { AgentType } from '../domain/agent-type';
import { ValidationFailedError } from '../domain/usage-errors';

/** A query string as Express parses it: a value may be a string, a list or an object. */
export type QueryParams = Record<string, unknown>;

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$/;

function fail(field: string, message: string): never {
  throw new ValidationFailedError([{ field, message }]);
}

/** The parameter as one string, or undefined when absent; 400 when repeated or nested. */
export function stringParam(query: QueryParams, field: string): string | undefined {
  const value = query[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') fail(field, `${field} must be given once, as a plain value`);
  return value;
}

/** Refuses parameters the endpoint does not know (a typo must not silently widen a selection). */
export function rejectUnknownParams(query: QueryParams, known: readonly string[]): void {
  const unknown = Object.keys(query).find((key) => !known.includes(key));
  if (unknown !== undefined) fail(unknown, `${unknown} is not a parameter of this endpoint (known: ${known.join(', ')})`);
}

/** An ISO 8601 date or date-time with a zone (`2026-11-01`, `2026-11-01T10:00:00Z`). */
export function instantParam(query: QueryParams, field: string): Date | undefined {
  const value = stringParam(query, field);
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (!ISO_INSTANT.test(value) || Number.isNaN(date.getTime())) {
    fail(field, `${field} must be an ISO 8601 date or date-time with a zone, e.g. 2026-11-01T00:00:00Z`);
  }
  return date;
}

export function agentParam(query: QueryParams, field = 'agent'): AgentType | undefined {
  const value = stringParam(query, field);
  if (value === undefined) return undefined;
  if (!(AGENT_TYPES as readonly string[]).includes(value)) fail(field, `${field} must be one of ${AGENT_TYPES.join(', ')}`);
  return value as AgentType;
}

/** A whole number in [min, max]; `fallback` when absent. */
export function integerParam(query: QueryParams, field: string, min: number, max: number, fallback: number): number {
  const value = stringParam(query, field);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    fail(field, `${field} must be a whole number from ${min} to ${max}`);
  }
  return Number(value);
}

/** `from` < `to`, both given or defaulted by the caller. */
export function requireOrdered(from: Date, to: Date): void {
  if (from.getTime() >= to.getTime()) fail('to', 'to must be after from');
}

export { fail as invalidParam };
