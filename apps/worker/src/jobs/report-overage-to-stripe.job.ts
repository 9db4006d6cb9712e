import { JOBS, QUEUES } from '@metering/usage';
import type { JobDefinition } from './job-definition';

/**
 * Reports overage to Stripe Billing meters. Slot for the Stripe reporter (libs/billing): until it
 * is wired here the job completes without calling Stripe, and says so.
 */
export const reportOverageToStripeJob: JobDefinition<typeof JOBS.reportOverageToStripe> = {
  name: JOBS.reportOverageToStripe,
  queue: QUEUES.usageMaintenance,
  create: (services) => async (job) => {
    services.logger.warn('stripe reporting not configured: overage not reported', { jobId: job.id, data: job.data });
    return { reported: 0, reason: 'stripe reporting not configured' };
  },
};
