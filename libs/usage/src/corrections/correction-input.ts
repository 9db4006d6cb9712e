import { isUuid } from '@metering/platform';
import { AGENT_TYPES, isAgentType } from '../domain/agent-type';
import type { AgentType } from '../domain/agent-type';
import { MAX_QUANTITY } from '../domain/event-rules';
import { ValidationFailedError } from '../domain/usage-errors';
import type { FieldError } from '../domain/usage-errors';

export const MAX_CORRECTION_KEY_LENGTH = 255;
export const MAX_REASON_LENGTH = 1000;

/** Take back one stored event (its whole quantity). */
export interface VoidRequest {
  type: 'void';
  tenantId: string;
  correctionKey: string;
  idempotencyKey: string;
  reason: string;
}

/** Add (or, negative, remove) a quantity to one tenant's agent in one period. */
export interface AdjustmentRequest {
  type: 'adjustment';
  tenantId: string;
  correctionKey: string;
  agent: AgentType;
  periodStart: Date;
  quantity: number;
  /** The hour the adjustment applies to in the history; defaults to now, kept inside the period. */
  occurredAt: Date | null;
  reason: string;
}

export type CorrectionRequest = VoidRequest | AdjustmentRequest;

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;
const VOID_FIELDS = ['type', 'tenant_id', 'correction_key', 'idempotency_key', 'reason'];
const ADJUSTMENT_FIELDS = ['type', 'tenant_id', 'correction_key', 'agent', 'period_start', 'quantity', 'occurred_at', 'reason'];

/** A printable key: no control characters (they break logs, CSV and Stripe identifiers). */
function keyError(field: string, value: unknown): FieldError | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_CORRECTION_KEY_LENGTH) {
    return { field, message: `${field} must be a string of 1 to ${MAX_CORRECTION_KEY_LENGTH} characters` };
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return { field, message: `${field} must not contain control characters` };
  return null;
}

function instantOf(field: string, value: unknown, errors: FieldError[]): Date | null {
  if (typeof value !== 'string' || !ISO_INSTANT.test(value) || Number.isNaN(new Date(value).getTime())) {
    errors.push({ field, message: `${field} must be an ISO 8601 date-time with a zone, e.g. 2026-11-01T00:00:00Z` });
    return null;
  }
  return new Date(value);
}

/**
 * Validates a correction as sent on the wire (snake_case, the API body and the CLI's options
 * alike); every bad field is named, and nothing is read from a rejected input.
 */
export function parseCorrectionRequest(body: unknown): CorrectionRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationFailedError([{ field: 'body', message: 'body must be a correction object' }]);
  }
  const input = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  const type = input.type;
  if (type !== 'void' && type !== 'adjustment') {
    throw new ValidationFailedError([{ field: 'type', message: 'type must be void or adjustment' }]);
  }
  const known = type === 'void' ? VOID_FIELDS : ADJUSTMENT_FIELDS;
  for (const field of Object.keys(input)) {
    if (!known.includes(field)) errors.push({ field, message: `${field} is not a field of a ${type} correction (known: ${known.join(', ')})` });
  }
  if (typeof input.tenant_id !== 'string' || !isUuid(input.tenant_id)) errors.push({ field: 'tenant_id', message: 'tenant_id must be a UUID' });
  const keyProblem = keyError('correction_key', input.correction_key);
  if (keyProblem) errors.push(keyProblem);
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  if (reason.length === 0 || reason.length > MAX_REASON_LENGTH) {
    errors.push({ field: 'reason', message: `reason is required: 1 to ${MAX_REASON_LENGTH} characters saying why` });
  }
  if (type === 'void') {
    const eventKeyProblem = keyError('idempotency_key', input.idempotency_key);
    if (eventKeyProblem) errors.push(eventKeyProblem);
    if (errors.length > 0) throw new ValidationFailedError(errors);
    return {
      type,
      tenantId: (input.tenant_id as string).toLowerCase(),
      correctionKey: input.correction_key as string,
      idempotencyKey: input.idempotency_key as string,
      reason,
    };
  }
  if (!isAgentType(input.agent)) errors.push({ field: 'agent', message: `agent must be one of ${AGENT_TYPES.join(', ')}` });
  const periodStart = instantOf('period_start', input.period_start, errors);
  const occurredAt = input.occurred_at === undefined ? null : instantOf('occurred_at', input.occurred_at, errors);
  const quantity = input.quantity;
  if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity === 0 || Math.abs(quantity) > MAX_QUANTITY) {
    errors.push({ field: 'quantity', message: `quantity must be a whole number from -${MAX_QUANTITY} to ${MAX_QUANTITY}, not 0` });
  }
  if (errors.length > 0) throw new ValidationFailedError(errors);
  return {
    type,
    tenantId: (input.tenant_id as string).toLowerCase(),
    correctionKey: input.correction_key as string,
    agent: input.agent as AgentType,
    periodStart: periodStart!,
    quantity: quantity as number,
    occurredAt,
    reason,
  };
}
