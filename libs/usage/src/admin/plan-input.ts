import { AGENT_LIMIT_KEYS, AGENT_TYPES } from '../domain/agent-type';
import { ValidationFailedError } from '../domain/usage-errors';
import type { FieldError } from '../domain/usage-errors';
import type { PerAgent, PlanLimits } from '../entities/plan.entity';

const LIMIT_KEYS = Object.values(AGENT_LIMIT_KEYS);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `{"emails_per_month": 1000, "meetings_per_month": null}`: known keys, non-negative integers or null. */
export function checkPlanLimits(value: unknown, field = 'limits'): FieldError[] {
  if (!isPlainObject(value)) return [{ field, message: `${field} must be a JSON object such as {"emails_per_month":1000}` }];
  return Object.entries(value).flatMap(([key, limit]): FieldError[] => {
    if (!LIMIT_KEYS.includes(key)) return [{ field: `${field}.${key}`, message: `unknown limit; expected one of ${LIMIT_KEYS.join(', ')}` }];
    if (limit !== null && !(Number.isInteger(limit) && (limit as number) >= 0)) {
      return [{ field: `${field}.${key}`, message: 'must be a non-negative integer, or null for unlimited' }];
    }
    return [];
  });
}

/** `{"inbox": 5, "invoice": 10}`: per-agent values of the given kind. */
export function checkPerAgent(value: unknown, field: string, kind: 'cents' | 'name'): FieldError[] {
  if (!isPlainObject(value)) return [{ field, message: `${field} must be a JSON object keyed by agent (${AGENT_TYPES.join(', ')})` }];
  return Object.entries(value).flatMap(([key, item]): FieldError[] => {
    if (!(AGENT_TYPES as readonly string[]).includes(key)) {
      return [{ field: `${field}.${key}`, message: `unknown agent; expected one of ${AGENT_TYPES.join(', ')}` }];
    }
    if (kind === 'cents' && !(Number.isInteger(item) && (item as number) >= 0)) {
      return [{ field: `${field}.${key}`, message: 'must be a non-negative integer number of cents' }];
    }
    if (kind === 'name' && !(typeof item === 'string' && /^[A-Za-z0-9_.:-]{1,100}$/.test(item))) {
      return [{ field: `${field}.${key}`, message: 'must be a Stripe meter event name (letters, digits, _ . : -)' }];
    }
    return [];
  });
}

export interface PlanInput {
  code: string;
  name: string;
  limits: PlanLimits;
  overageUnitCents: PerAgent<number>;
  meterEventNames?: PerAgent<string>;
}

/** Throws a ValidationFailedError naming every bad field of a plan. */
export function assertValidPlan(input: PlanInput): void {
  const errors: FieldError[] = [];
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(input.code)) {
    errors.push({ field: 'code', message: 'code must be 1-64 lowercase letters, digits, _ or -' });
  }
  if (!input.name || input.name.length > 200) errors.push({ field: 'name', message: 'name must be 1 to 200 characters' });
  errors.push(...checkPlanLimits(input.limits));
  errors.push(...checkPerAgent(input.overageUnitCents, 'overage_cents', 'cents'));
  if (input.meterEventNames !== undefined) errors.push(...checkPerAgent(input.meterEventNames, 'meter_events', 'name'));
  if (errors.length > 0) throw new ValidationFailedError(errors);
}
