/** Stable codes the API maps to HTTP statuses and the worker to retry decisions. */
export type UsageErrorCode =
  | 'VALIDATION_FAILED'
  | 'TENANT_NOT_FOUND'
  | 'SUBSCRIPTION_NOT_FOUND'
  | 'SUBSCRIPTION_INACTIVE'
  | 'PLAN_NOT_FOUND'
  | 'PERIOD_FINAL'
  | 'IDEMPOTENCY_CONFLICT'
  | 'QUOTA_EXCEEDED'
  | 'EVENT_NOT_FOUND'
  | 'CORRECTION_CONFLICT'
  | 'CORRECTION_REFUSED';

export interface FieldError {
  field: string;
  message: string;
}

/**
 * A domain error: the input or the tenant's state makes the operation impossible. Retrying the
 * same input cannot succeed, so workers treat it as permanent.
 */
export class UsageError extends Error {
  constructor(
    readonly code: UsageErrorCode,
    message: string,
    readonly fieldErrors: FieldError[] = [],
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export class ValidationFailedError extends UsageError {
  constructor(fieldErrors: FieldError[]) {
    super('VALIDATION_FAILED', fieldErrors.map((e) => `${e.field}: ${e.message}`).join('; '), fieldErrors);
  }
}

export class TenantNotFoundError extends UsageError {
  constructor(readonly tenantId: string) {
    super('TENANT_NOT_FOUND', `Tenant ${tenantId} does not exist`);
  }
}

export class SubscriptionNotFoundError extends UsageError {
  constructor(readonly tenantId: string) {
    super('SUBSCRIPTION_NOT_FOUND', `Tenant ${tenantId} has no subscription`);
  }
}

export class SubscriptionInactiveError extends UsageError {
  constructor(readonly tenantId: string, readonly status: string) {
    super('SUBSCRIPTION_INACTIVE', `Tenant ${tenantId} has no active subscription (status: ${status})`);
  }
}

export class PlanNotFoundError extends UsageError {
  constructor(readonly planCode: string) {
    super('PLAN_NOT_FOUND', `Plan ${planCode} does not exist`);
  }
}

/** Events whose billing period's invoice is final (or will be before they could be billed). */
export class PeriodFinalError extends UsageError {
  constructor(fieldErrors: FieldError[]) {
    super('PERIOD_FINAL', fieldErrors.map((e) => `${e.field}: ${e.message}`).join('; '), fieldErrors);
  }
}

/** Idempotency keys already used for an event with other content. */
export class IdempotencyConflictError extends UsageError {
  constructor(fieldErrors: FieldError[]) {
    super('IDEMPOTENCY_CONFLICT', fieldErrors.map((e) => `${e.field}: ${e.message}`).join('; '), fieldErrors);
  }
}

/** An agent whose plan policy is `block` would go past its limit: refused, counted nowhere. */
export class QuotaExceededError extends UsageError {
  constructor(
    readonly tenantId: string,
    readonly agent: string,
    readonly limit: number,
    readonly count: number,
    readonly quantity: number,
  ) {
    super(
      'QUOTA_EXCEEDED',
      `The ${agent} limit of ${limit.toLocaleString('en-US')} per period is reached and the plan blocks usage above it ` +
        `(count ${count.toLocaleString('en-US')}, this request ${quantity.toLocaleString('en-US')})`,
    );
  }
}

/** A correction names an event that is not stored for the tenant. */
export class EventNotFoundError extends UsageError {
  constructor(readonly tenantId: string, readonly idempotencyKey: string) {
    super('EVENT_NOT_FOUND', `Tenant ${tenantId} has no stored event with idempotency_key ${idempotencyKey}`, [
      { field: 'idempotency_key', message: `no stored event has idempotency_key ${idempotencyKey}` },
    ]);
  }
}

/** The correction key was used for another correction, or the event is already voided. */
export class CorrectionConflictError extends UsageError {
  constructor(field: string, message: string) {
    super('CORRECTION_CONFLICT', message, [{ field, message }]);
  }
}

/** The correction is well formed but cannot apply (a counter would go negative, an invoice is final). */
export class CorrectionRefusedError extends UsageError {
  constructor(field: string, message: string) {
    super('CORRECTION_REFUSED', message, [{ field, message }]);
  }
}

export function isUsageError(error: unknown): error is UsageError {
  return error instanceof UsageError;
}
