import type { Queue } from 'bullmq';
import { uniqueQueuePrefix, useTestDatabase } from '@metering/testing';
import { JOBS, QUEUES } from '@metering/usage';
import type { JobName } from '@metering/usage';
import { eventually, startTestWorker } from './worker-test-kit';
import type { TestWorker } from './worker-test-kit';

const db = useTestDatabase();
let worker: TestWorker;

beforeAll(async () => {
  worker = await startTestWorker(db.current.url, { QUEUE_PREFIX: uniqueQueuePrefix(), STRIPE_SECRET_KEY: '' });
});
afterAll(async () => {
  await worker?.close();
});

/** Adds a job that would be retried five times if it failed for a passing reason; waits for it to fail. */
async function failedJob(queue: Queue, name: JobName, data: unknown) {
  const job = await queue.add(name, data, { attempts: 5, backoff: { type: 'fixed', delay: 10 } });
  return eventually(async () => {
    if ((await queue.getJobState(job.id!)) !== 'failed') return undefined;
    const failed = (await queue.getJob(job.id!))!;
    return { attemptsMade: failed.attemptsMade, reason: failed.failedReason };
  });
}

const maintenance = () => worker.runtime.queues.get(QUEUES.usageMaintenance)!;

describe('job data checked at the handler edge', () => {
  it('fails a reconciliation with a malformed tenant filter at once, naming the field, and records no run', async () => {
    const failed = await failedJob(maintenance(), JOBS.reconcileUsageCounters, { tenant_id: 'acme', dry_run: true });

    expect(failed).toEqual({ attemptsMade: 1, reason: 'invalid reconcile-usage-counters job data: tenant_id must be a UUID' });
    const [runs] = await db.current.dataSource.query(`SELECT count(*)::int AS n FROM reconciliation_runs`);
    expect(runs.n).toBe(0);
  });

  it('fails a Stripe report whose dry run is not a boolean, rather than sending for real', async () => {
    const failed = await failedJob(maintenance(), JOBS.reportOverageToStripe, { trigger: 'operator', dry_run: 'yes' });

    expect(failed).toEqual({ attemptsMade: 1, reason: 'invalid report-overage-to-stripe job data: dry_run must be true or false' });
  });

  it('fails a roll-over given a tenant filter it cannot honour, and a misspelt field anywhere', async () => {
    const rollOver = await failedJob(maintenance(), JOBS.resetUsageCounters, { trigger: 'operator', tenant_id: '3f1b2c4d-1111-4222-8333-123456789abc' });
    const publish = await failedJob(maintenance(), JOBS.publishUsageAlerts, { trigger: 'manual' });
    const misspelt = await failedJob(maintenance(), JOBS.reconcileUsageCounters, { tenantId: '3f1b2c4d-1111-4222-8333-123456789abc' });

    expect(rollOver).toEqual({ attemptsMade: 1, reason: 'invalid reset-usage-counters job data: tenant_id is not a field of this job' });
    expect(publish).toEqual({
      attemptsMade: 1,
      reason: 'invalid publish-usage-alerts job data: trigger must be one of schedule, roll-over, operator',
    });
    expect(misspelt).toEqual({ attemptsMade: 1, reason: 'invalid reconcile-usage-counters job data: tenantId is not a field of this job' });
  });

  it('fails a usage-alert job whose data is not an alert, naming each bad field', async () => {
    const alerts = worker.runtime.queues.get(QUEUES.usageAlerts)!;

    const failed = await failedJob(alerts, JOBS.usageAlert, { alert_id: 'a-1', tenant_id: '3f1b2c4d-1111-4222-8333-123456789abc', agent: 'inbox', level: 'warning' });

    expect(failed.attemptsMade).toBe(1);
    expect(failed.reason).toBe(
      'invalid usage-alert job data: alert_id must be a UUID; period_start must be an ISO-8601 date-time; ' +
        'threshold_percent must be an integer; count must be an integer; limit must be an integer',
    );
  });
});
