import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Length, Max, Min, validateSync } from 'class-validator';
import { ACTION_TYPES, AGENT_TYPES } from '../domain/agent-type';
import type { ActionType, AgentType } from '../domain/agent-type';
import { MAX_IDEMPOTENCY_KEY_LENGTH, MAX_QUANTITY, MAX_RESOURCE_ID_LENGTH, agentActionError, metadataError } from '../domain/event-rules';
import type { FieldError } from '../domain/usage-errors';
import { metadataTextError, textError } from './event-text';

/** What class-validator's IsISO8601 and the fast path both call an ISO-8601 date-time. */
export const ISO_OPTIONS = { strict: true, strictSeparator: true };

/** The full check of a WireEvent's fields, with the API's error messages. */
class WireEventDto {
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

/**
 * Every field error of one wire event through class-validator and the rules it cannot express
 * (none: the event is valid). Field names carry `prefix` (e.g. `events[3].`). When it finds
 * nothing, the event's own values are valid as they are (no conversion happens), so the caller
 * reads them from `raw`.
 */
export function wireEventErrors(raw: unknown, prefix: string): FieldError[] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return [{ field: prefix.replace(/\.$/, '') || 'body', message: 'event must be a JSON object' }];
  }
  const source = raw as Record<string, unknown>;
  const dto = plainToInstance(WireEventDto, scalarFieldsOf(source));
  const errors: FieldError[] = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true }).flatMap((error) =>
    Object.values(error.constraints ?? {}).map((message) => ({
      field: `${prefix}${error.property}`,
      message: message.startsWith(`property ${error.property} should not exist`) ? `${error.property} is not a known field` : message,
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
  return errors;
}

/**
 * What class-transformer gets to see: metadata is left out (checked on its own, above; the
 * client's object is kept untouched, as class-transformer would rename or drop keys such as
 * "constructor") and every other object or array value -- always invalid for these scalar
 * fields -- is replaced by `{}`, which fails the same checks. class-transformer copies nested
 * values recursively, so a body nested 100,000 levels deep would otherwise overflow the stack.
 */
function scalarFieldsOf(source: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === 'metadata') continue;
    fields[key] = value !== null && typeof value === 'object' ? {} : value;
  }
  return fields;
}
