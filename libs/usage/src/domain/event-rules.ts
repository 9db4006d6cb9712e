import { loadUsageRulesConfig } from '@metering/platform';
import { AGENT_ACTIONS, isActionType, isAgentType } from './agent-type';
import type { FieldError } from './usage-errors';

export const MAX_QUANTITY = 1_000_000;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;
export const MAX_RESOURCE_ID_LENGTH = 255;
export const MAX_METADATA_BYTES = 4096;
export const MAX_METADATA_DEPTH = 8;
export const MAX_EVENTS_PER_BATCH = 1000;

/** How far from "now" an event's `occurred_at` may lie. */
export interface OccurredAtWindow {
  readonly maxAgeDays: number;
  readonly maxFutureSeconds: number;
}

/**
 * The documented window (docs/api/usage.md: 35 days back, 5 minutes ahead), read from the defaults
 * of EVENT_MAX_AGE_DAYS / EVENT_MAX_FUTURE_SECONDS so the two cannot drift. A process that has its
 * config passes `occurredAtWindow(config.usage)` instead, so an operator's setting reaches every check.
 */
export const DEFAULT_OCCURRED_AT_WINDOW: OccurredAtWindow = Object.freeze(occurredAtWindow(loadUsageRulesConfig({}).usage));

/** The window configured for a process (`config.usage`). */
export function occurredAtWindow(usage: { eventMaxAgeDays: number; eventMaxFutureSeconds: number }): OccurredAtWindow {
  return { maxAgeDays: usage.eventMaxAgeDays, maxFutureSeconds: usage.eventMaxFutureSeconds };
}

/** Error for an agent/action pair the agent may not report, or null when the pair is allowed. */
export function agentActionError(agent: unknown, action: unknown, prefix = ''): FieldError | null {
  if (!isAgentType(agent) || !isActionType(action)) return null; // reported by the field checks
  if (AGENT_ACTIONS[agent].includes(action)) return null;
  return {
    field: `${prefix}action_type`,
    message: `action_type ${action} is not valid for agent ${agent} (expected ${AGENT_ACTIONS[agent].join(', ')})`,
  };
}

export function occurredAtError(occurredAt: Date, now: Date, window: OccurredAtWindow, prefix = ''): FieldError | null {
  const field = `${prefix}occurred_at`;
  if (Number.isNaN(occurredAt.getTime())) return { field, message: 'occurred_at must be an ISO-8601 date-time' };
  const ageMs = now.getTime() - occurredAt.getTime();
  if (ageMs > window.maxAgeDays * 86_400_000) {
    return { field, message: `occurred_at is more than ${window.maxAgeDays} days in the past` };
  }
  if (-ageMs > window.maxFutureSeconds * 1000) {
    return { field, message: `occurred_at is more than ${window.maxFutureSeconds} seconds in the future` };
  }
  return null;
}

/** Whether `value` nests more than `limit` objects/arrays deep; iterative, so any depth is safe to check. */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 1]];
  for (let item = pending.pop(); item; item = pending.pop()) {
    const [current, depth] = item;
    if (current === null || typeof current !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(current as Record<string, unknown>)) pending.push([child, depth + 1]);
  }
  return false;
}

export function metadataError(metadata: unknown, prefix = ''): FieldError | null {
  const field = `${prefix}metadata`;
  if (metadata === undefined) return null;
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    return { field, message: 'metadata must be a JSON object' };
  }
  if (nestsDeeperThan(metadata, MAX_METADATA_DEPTH)) {
    return { field, message: `metadata must not nest deeper than ${MAX_METADATA_DEPTH} levels` };
  }
  if (Buffer.byteLength(JSON.stringify(metadata), 'utf8') > MAX_METADATA_BYTES) {
    return { field, message: `metadata must be at most ${MAX_METADATA_BYTES} bytes when serialized` };
  }
  return null;
}
