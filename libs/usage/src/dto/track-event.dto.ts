import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Length, Max, Min, isISO8601, validateSync } from 'class-validator';
import { ACTION_TYPES, AGENT_TYPES } from '../domain/agent-type';
import type { ActionType, AgentType } from '../domain/agent-type';
import {
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MAX_QUANTITY,
  MAX_RESOURCE_ID_LENGTH,
  agentActionError,
  metadataError,
} from '../domain/event-rules';
import type { FieldError } from '../domain/usage-errors';

const ISO_OPTIONS = { strict: true, strictSeparator: true };

/** The wire shape of one event (HTTP body and job data), snake_case as in the API contract. */
export class TrackEventDto {
  @IsIn(AGENT_TYPES, { message: `agent must be one of ${AGENT_TYPES.join(', ')}` })
  agent!: AgentType;

  @IsIn(ACTION_TYPES, { message: `action_type must be one of ${ACTION_TYPES.join(', ')}` })
  action_type!: ActionType;

  @IsString({ message: 'resource_id must be a string' })
  @Length(1, MAX_RESOURCE_ID_LENGTH, { message: `resource_id must be 1 to ${MAX_RESOURCE_ID_LENGTH} characters` })
  resource_id!: string;

  @IsOptional()
  @IsInt({ message: 'quantity must be an integer' })
  @Min(1, { message: 'quantity must be at least 1' })
  @Max(MAX_QUANTITY, { message: `quantity must be at most ${MAX_QUANTITY}` })
  quantity?: number;

  @IsOptional()
  @IsString({ message: 'idempotency_key must be a string' })
  @Length(1, MAX_IDEMPOTENCY_KEY_LENGTH, {
    message: `idempotency_key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`,
  })
  idempotency_key?: string;

  @IsOptional()
  @IsISO8601(ISO_OPTIONS, { message: 'occurred_at must be an ISO-8601 date-time' })
  occurred_at?: string;

  @IsOptional()
  metadata?: Record<string, unknown>;
}

/** An event as the tracker takes it, once its wire shape is valid. */
export interface TrackEventInput {
  tenantId: string;
  agent: AgentType;
  actionType: ActionType;
  resourceId: string;
  quantity?: number;
  idempotencyKey?: string;
  occurredAt?: Date | string;
  metadata?: Record<string, unknown>;
}

export type ParsedTrackEvent = Omit<TrackEventInput, 'tenantId'>;

export type ParseResult = { ok: true; event: ParsedTrackEvent } | { ok: false; errors: FieldError[] };

const NUL = '\u0000';

const KNOWN_FIELDS = new Set(['agent', 'action_type', 'resource_id', 'quantity', 'idempotency_key', 'occurred_at', 'metadata']);
const AGENTS: ReadonlySet<unknown> = new Set(AGENT_TYPES);
const ACTIONS: ReadonlySet<unknown> = new Set(ACTION_TYPES);
// Text class-validator's Length agrees with String#length on (it may count a surrogate pair as one
// character and skip variation selectors: a shorter count, never a longer one, and never 0 for
// text without selectors) and that Postgres can store: well-formed Unicode without NUL.
const plainText = (value: unknown, maxLength: number): boolean =>
  typeof value === 'string' &&
  value.length >= 1 &&
  value.length <= maxLength &&
  !value.includes(NUL) &&
  !value.includes('\uFE0E') &&
  !value.includes('\uFE0F') &&
  value.isWellFormed();

/**
 * The common case without class-validator's machinery (~10 us an event, most of the producer's
 * and the ingest route's CPU): an event whose every field is plainly valid. It never accepts what
 * the full check below rejects (a property test holds it to that); anything unusual, and every
 * invalid event, goes through the full check, which alone writes error messages.
 */
function plainlyValidEvent(source: Record<string, unknown>): ParsedTrackEvent | null {
  for (const key of Object.keys(source)) if (!KNOWN_FIELDS.has(key)) return null;
  const { agent, action_type: actionType, resource_id: resourceId, quantity, idempotency_key: idempotencyKey, occurred_at: occurredAt, metadata } = source;
  if (!AGENTS.has(agent) || !ACTIONS.has(actionType) || agentActionError(agent, actionType)) return null;
  if (!plainText(resourceId, MAX_RESOURCE_ID_LENGTH)) return null;
  if (quantity !== undefined && !(typeof quantity === 'number' && Number.isInteger(quantity) && quantity >= 1 && quantity <= MAX_QUANTITY)) return null;
  if (idempotencyKey !== undefined && !plainText(idempotencyKey, MAX_IDEMPOTENCY_KEY_LENGTH)) return null;
  if (occurredAt !== undefined && !(typeof occurredAt === 'string' && isISO8601(occurredAt, ISO_OPTIONS))) return null;
  if (metadata !== undefined && (metadataError(metadata) || metadataTextError(metadata, 'metadata'))) return null;
  return {
    agent: agent as AgentType,
    actionType: actionType as ActionType,
    resourceId: resourceId as string,
    quantity: (quantity as number | undefined) ?? 1,
    idempotencyKey: idempotencyKey as string | undefined,
    occurredAt: occurredAt as string | undefined,
    metadata: metadata as Record<string, unknown> | undefined,
  };
}

/** Postgres cannot store NUL characters or unpaired surrogates; reject them here, not with a 500. */
function textError(value: unknown, field: string): FieldError | null {
  if (typeof value !== 'string') return null;
  if (value.includes(NUL)) return { field, message: `${field.split('.').pop()} must not contain NUL characters` };
  if (!value.isWellFormed()) return { field, message: `${field.split('.').pop()} must be valid Unicode` };
  return null;
}

/**
 * Looks at every key and string value itself: the serialized text cannot tell, because
 * JSON.stringify escapes an unpaired surrogate (well-formed text that jsonb still refuses, so the
 * event would be acknowledged and never stored) and a literal backslash-u-0000 looks like a NUL.
 * Depth is bounded by metadataError's check, which runs first.
 */
function metadataTextError(metadata: unknown, field: string): FieldError | null {
  if (metadata === undefined || metadata === null || typeof metadata !== 'object') return null;
  const pending: unknown[] = [metadata];
  for (let value = pending.pop(); value !== undefined || pending.length > 0; value = pending.pop()) {
    const texts = typeof value === 'string' ? [value] : [];
    if (value !== null && typeof value === 'object') {
      texts.push(...Object.keys(value));
      pending.push(...Object.values(value));
    }
    for (const text of texts) {
      if (text.includes(NUL)) return { field, message: 'metadata must not contain NUL characters' };
      if (!text.isWellFormed()) return { field, message: 'metadata must be valid Unicode' };
    }
  }
  return null;
}

/**
 * Validates one wire event. Field names in errors carry `prefix` (e.g. `events[3].`) so a batch
 * error points at the exact item.
 */
export function parseTrackEvent(raw: unknown, prefix = ''): ParseResult {
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const plain = plainlyValidEvent(raw as Record<string, unknown>);
    if (plain) return { ok: true, event: plain };
  }
  return parseTrackEventFully(raw, prefix);
}

/** parseTrackEvent without the fast path: every check through class-validator (exported for its test). */
export function parseTrackEventFully(raw: unknown, prefix = ''): ParseResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, errors: [{ field: prefix.replace(/\.$/, '') || 'body', message: 'event must be a JSON object' }] };
  }
  const source = raw as Record<string, unknown>;
  const dto = plainToInstance(TrackEventDto, scalarFieldsOf(source));
  const errors: FieldError[] = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true }).flatMap((error) =>
    Object.values(error.constraints ?? {}).map((message) => ({
      field: `${prefix}${error.property}`,
      message: message.startsWith(`property ${error.property} should not exist`)
        ? `${error.property} is not a known field`
        : message,
    })),
  );
  const metadataProblem = metadataError(source.metadata, prefix);
  for (const candidate of [
    agentActionError(source.agent, source.action_type, prefix),
    metadataProblem,
    textError(source.resource_id, `${prefix}resource_id`),
    textError(source.idempotency_key, `${prefix}idempotency_key`),
    metadataProblem ? null : metadataTextError(source.metadata, `${prefix}metadata`),
  ]) {
    if (candidate) errors.push(candidate);
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    event: {
      agent: dto.agent,
      actionType: dto.action_type,
      resourceId: dto.resource_id,
      quantity: dto.quantity ?? 1,
      idempotencyKey: dto.idempotency_key,
      occurredAt: dto.occurred_at,
      // The client's own object, untouched: class-transformer would rename or drop keys such as
      // "constructor", and metadata must be stored exactly as sent.
      metadata: source.metadata as Record<string, unknown> | undefined,
    },
  };
}

/**
 * What class-transformer gets to see: metadata is left out (checked on its own, above) and every
 * other object or array value -- always invalid for these scalar fields -- is replaced by `{}`,
 * which fails the same checks. class-transformer copies nested values recursively, so a body
 * nested 100,000 levels deep would otherwise overflow the stack and turn a bad request into an error.
 */
function scalarFieldsOf(source: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === 'metadata') continue;
    fields[key] = value !== null && typeof value === 'object' ? {} : value;
  }
  return fields;
}

/** The wire shape of a tracker input (for job data and HTTP bodies). */
export function toTrackEventDto(event: ParsedTrackEvent): TrackEventDto {
  const occurredAt = event.occurredAt instanceof Date ? event.occurredAt.toISOString() : event.occurredAt;
  // Assigned, not spread: this runs for every event a producer enqueues.
  const dto: TrackEventDto = { agent: event.agent, action_type: event.actionType, resource_id: event.resourceId, quantity: event.quantity ?? 1 };
  if (event.idempotencyKey !== undefined) dto.idempotency_key = event.idempotencyKey;
  if (occurredAt !== undefined) dto.occurred_at = occurredAt;
  if (event.metadata !== undefined) dto.metadata = event.metadata;
  return dto;
}
