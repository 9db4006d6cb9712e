import { isISO8601 } from 'class-validator';
import { ACTION_TYPES, AGENT_TYPES } from '../domain/agent-type';
import { MAX_IDEMPOTENCY_KEY_LENGTH, MAX_QUANTITY, MAX_RESOURCE_ID_LENGTH, agentActionError, metadataError } from '../domain/event-rules';
import { metadataTextError, plainText } from './event-text';
import { ISO_OPTIONS } from './wire-event.dto';

const KNOWN_FIELDS: ReadonlySet<string> = new Set(['agent', 'action_type', 'resource_id', 'quantity', 'idempotency_key', 'occurred_at', 'metadata']);
const AGENTS: ReadonlySet<unknown> = new Set(AGENT_TYPES);
const ACTIONS: ReadonlySet<unknown> = new Set(ACTION_TYPES);

/**
 * The common case without class-validator's machinery (~10 us an event, most of the producer's,
 * the ingest route's and the worker's parsing CPU): whether every field of a wire event is
 * plainly valid. It never accepts what the full check (wireEventErrors) rejects -- a property
 * test holds it to that; anything unusual, and every invalid event, goes through the full
 * check, which alone writes error messages.
 */
export function isPlainlyValidEvent(source: Record<string, unknown>): boolean {
  for (const key of Object.keys(source)) if (!KNOWN_FIELDS.has(key)) return false;
  const { agent, action_type: actionType, resource_id: resourceId, quantity, idempotency_key: idempotencyKey, occurred_at: occurredAt, metadata } = source;
  if (!AGENTS.has(agent) || !ACTIONS.has(actionType) || agentActionError(agent, actionType)) return false;
  if (!plainText(resourceId, MAX_RESOURCE_ID_LENGTH)) return false;
  if (quantity !== undefined && !(typeof quantity === 'number' && Number.isInteger(quantity) && quantity >= 1 && quantity <= MAX_QUANTITY)) return false;
  if (idempotencyKey !== undefined && !plainText(idempotencyKey, MAX_IDEMPOTENCY_KEY_LENGTH)) return false;
  if (occurredAt !== undefined && !(typeof occurredAt === 'string' && isISO8601(occurredAt, ISO_OPTIONS))) return false;
  if (metadata !== undefined && (metadataError(metadata) || metadataTextError(metadata, 'metadata'))) return false;
  return true;
}
