import { UnrecoverableError } from 'bullmq';
import type { Job } from 'bullmq';
import type { JobDataResult } from '@metering/usage';

/**
 * A job's checked data, or an UnrecoverableError naming every bad field: the same data fails the
 * same way on every attempt, so the job goes straight to "failed" with the reason.
 */
export function validJobData<T>(job: Job, result: JobDataResult<T>): T {
  if (result.ok) return result.data;
  throw new UnrecoverableError(`invalid ${job.name} job data: ${result.errors.map((error) => error.message).join('; ')}`);
}
