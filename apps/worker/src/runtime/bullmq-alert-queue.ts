import type { Queue } from 'bullmq';
import { JOBS } from '@metering/usage';
import type { AlertQueue } from '@metering/usage';

/** The alert outbox's queue port on BullMQ: one `usage-alert` job per alert, added in one round trip. */
export function bullmqAlertQueue(queue: Queue): AlertQueue {
  return {
    async addAlerts(jobs) {
      if (jobs.length === 0) return;
      await queue.addBulk(jobs.map((job) => ({ name: JOBS.usageAlert, data: job.data, opts: { ...job.options, jobId: job.jobId } })));
    },
  };
}
