import 'reflect-metadata';
import { ValidateBy, validateSync } from 'class-validator';
import type { ValidationOptions } from 'class-validator';
import { isUuid } from '@metering/platform';
import type { FieldError } from '../domain/usage-errors';

/** A job's data once checked at the handler edge, or every field that is wrong with it. */
export type JobDataResult<T> = { ok: true; data: T } | { ok: false; errors: FieldError[] };

/** class-validator rule for a UUID in text form, the same test as everywhere else (`isUuid`). */
export function IsUuidText(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy({ name: 'isUuidText', validator: { validate: (value) => isUuid(value) } }, options);
}

export interface JobDataShape<T extends object> {
  /** The DTO class holding the fields' class-validator rules. */
  dto: new () => T;
  /** The fields the job reads. */
  fields: ReadonlyArray<keyof T & string>;
  /**
   * What to do with any other field: `reject` where a misspelt field would silently change what
   * the job does (a tenant filter that is ignored runs the job for every tenant), `ignore` where a
   * newer producer may add fields an older consumer can do without.
   */
  otherFields: 'reject' | 'ignore';
}

/**
 * Checks job data (JSON from Redis, written by any producer) against `shape`. A missing payload
 * counts as `{}`. Only the listed fields are copied onto the DTO, so nested values are never walked
 * and a `__proto__` key is just an unknown field.
 */
export function validateJobData<T extends object>(raw: unknown, shape: JobDataShape<T>): JobDataResult<T> {
  const source = raw ?? {};
  if (typeof source !== 'object' || Array.isArray(source)) {
    return { ok: false, errors: [{ field: 'data', message: 'job data must be a JSON object' }] };
  }
  const errors: FieldError[] = [];
  const dto = new shape.dto();
  const known: ReadonlySet<string> = new Set(shape.fields);
  for (const [field, value] of Object.entries(source)) {
    if (known.has(field)) (dto as Record<string, unknown>)[field] = value;
    else if (shape.otherFields === 'reject') errors.push({ field, message: `${field} is not a field of this job` });
  }
  // One message a field: a missing count is "must be an integer", not that and "must not be negative".
  for (const error of validateSync(dto, { stopAtFirstError: true })) {
    for (const message of Object.values(error.constraints ?? {})) errors.push({ field: error.property, message });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, data: dto };
}
