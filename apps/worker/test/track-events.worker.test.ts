import { counterValue, seedCounter, seedPlan, seedTenant, useTestDatabase } from '@metering/testing';
import { ActionType, AgentType, COMPLETED_TRACK_JOBS_KEPT, QUEUES, UsageService } from '@metering/usage';
import type { TrackEventInput } from '@metering/usage';
import { eventually, useTestWorker } from './worker-test-kit';

const db = useTestDatabase();
const worker = useTestWorker(db);

async function tenantOn(limits?: Record<string, number | null>): Promise<string> {
  const plan = await seedPlan(db.current.dataSource, limits ? { limits } : {});
  return (await seedTenant(db.current.dataSource, { planId: plan.id })).tenantId;
}

function email(tenantId: string, key: string, quantity = 1): TrackEventInput {
  return { tenantId, agent: AgentType.Inbox, actionType: ActionType.EmailProcessed, resourceId: key, idempotencyKey: key, quantity };
}

async function finishedJob(jobId: string) {
  const queue = worker.current.runtime.queues.get(QUEUES.usageEvents)!;
  return eventually(async () => {
    // State first, then the job: a job read before it finished would carry no return value.
    const state = await queue.getJobState(jobId);
    if (state !== 'completed' && state !== 'failed') return undefined;
    return { job: (await queue.getJob(jobId))!, state };
  });
}

async function eventRows(tenantId: string): Promise<number> {
  const [row] = await db.current.dataSource.query(`SELECT count(*)::int AS n FROM usage_events WHERE tenant_id = $1`, [tenantId]);
  return row.n;
}

describe('track-event consumer', () => {
  it('counts an enqueued event, and the usage read returns the new numbers', async () => {
    const tenantId = await tenantOn();
    const { jobIds } = await worker.current.client.track(email(tenantId, 'msg-1', 3));

    expect((await finishedJob(jobIds[0]!)).state).toBe('completed');
    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(3);
    const stats = await new UsageService(db.current.dataSource, { trialLimits: worker.current.config.usage.trialLimits }).getUsageStats(tenantId);
    expect(stats.usage.inbox).toMatchObject({ count: 3, limit: 1000, percentage: 0.3 });
  });

  it('counts the same event enqueued three times once', async () => {
    const tenantId = await tenantOn();
    const first = await worker.current.client.track(email(tenantId, 'msg-dup'));
    await worker.current.client.track(email(tenantId, 'msg-dup'));
    // A batch with a different job id carries it again: only Postgres can absorb this one.
    const batch = await worker.current.client.trackMany([email(tenantId, 'msg-dup'), email(tenantId, 'msg-other')]);

    await finishedJob(first.jobIds[0]!);
    expect((await finishedJob(batch.jobIds[0]!)).job.returnvalue).toEqual({ recorded: 1, duplicates: 1, deadLettered: 0 });
    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(2);
    expect(await eventRows(tenantId)).toBe(2);
  });

  it('counts the distinct events of a batch job that repeats some of them', async () => {
    const tenantId = await tenantOn();
    const events = ['a', 'b', 'a', 'c', 'b', 'a'].map((key) => email(tenantId, `msg-${key}`, 2));
    const { jobIds } = await worker.current.client.trackMany(events);

    const { job, state } = await finishedJob(jobIds[0]!);
    expect(state).toBe('completed');
    expect(job.returnvalue).toEqual({ recorded: 3, duplicates: 3, deadLettered: 0 });
    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(6);
    expect(await eventRows(tenantId)).toBe(3);
  });

  it('dead-letters the event of an unknown tenant with the reason, completes its job, and still counts the valid jobs', async () => {
    const tenantId = await tenantOn();
    const unknownTenant = '00000000-0000-4000-8000-00000000dead';
    const [bad, good] = await Promise.all([
      worker.current.client.track(email(unknownTenant, 'msg-x')),
      worker.current.client.track(email(tenantId, 'msg-y')),
    ]);

    const dead = await finishedJob(bad.jobIds[0]!);
    expect(dead.state).toBe('completed');
    expect(dead.job.returnvalue).toEqual({ recorded: 0, duplicates: 0, deadLettered: 1 });
    const [letter] = await db.current.dataSource.query(`SELECT reason, detail FROM usage_dead_letters WHERE tenant_id = $1`, [unknownTenant]);
    expect(letter).toEqual({ reason: 'tenant_not_found', detail: `Tenant ${unknownTenant} does not exist` });
    expect((await finishedJob(good.jobIds[0]!)).state).toBe('completed');
    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(1);
  });

  it('retries a job while Postgres rejects the commit and counts it once when it recovers', async () => {
    const tenantId = await tenantOn();
    const ds = db.current.dataSource;
    // A real failure inside Postgres: the first two commits of this tenant's events raise.
    // The sequence is not transactional, so each failed attempt still consumes one value.
    await ds.query(`CREATE SEQUENCE outage_attempts`);
    await ds.query(`
      CREATE FUNCTION simulated_outage() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.tenant_id = '${tenantId}' AND nextval('outage_attempts') <= 2 THEN
          RAISE EXCEPTION 'simulated outage' USING ERRCODE = '57P01';
        END IF;
        RETURN NEW;
      END $$`);
    await ds.query(`CREATE TRIGGER simulated_outage BEFORE INSERT ON usage_events FOR EACH ROW EXECUTE FUNCTION simulated_outage()`);
    try {
      const { jobIds } = await worker.current.client.track(email(tenantId, 'msg-retry', 5));
      const { job, state } = await finishedJob(jobIds[0]!);

      expect(state).toBe('completed');
      expect(job.attemptsMade).toBeGreaterThanOrEqual(2);
      const [{ last_value }] = await ds.query(`SELECT last_value FROM outage_attempts`);
      expect(Number(last_value)).toBe(3);
      expect(await counterValue(ds, tenantId, 'inbox')).toBe(5);
      expect(await eventRows(tenantId)).toBe(1);
    } finally {
      await ds.query(`DROP TRIGGER simulated_outage ON usage_events; DROP FUNCTION simulated_outage(); DROP SEQUENCE outage_attempts`);
    }
  });

  it('writes the 80% and 100% alert rows once each and enqueues a usage-alert job for each', async () => {
    const tenantId = await tenantOn({ emails_per_month: 10, invoices_per_month: 5, meetings_per_month: null });
    const [{ current_period_start: start, current_period_end: end }] = await db.current.dataSource.query(
      `SELECT current_period_start, current_period_end FROM subscriptions WHERE tenant_id = $1`,
      [tenantId],
    );
    await seedCounter(db.current.dataSource, tenantId, 'inbox', { start, end }, 7);
    for (const key of ['k1', 'k2', 'k3', 'k4', 'k5']) {
      await finishedJob((await worker.current.client.track(email(tenantId, key))).jobIds[0]!);
    }

    const alerts = await db.current.dataSource.query(
      `SELECT id, level, count_at_alert, limit_at_alert, published_at FROM usage_alerts WHERE tenant_id = $1 ORDER BY count_at_alert`,
      [tenantId],
    );
    expect(alerts.map((a: { level: string; count_at_alert: string }) => [a.level, Number(a.count_at_alert)])).toEqual([
      ['warning', 8],
      ['error', 10],
    ]);
    // Handed to the queue before the job that wrote them completed, so not left for the sweep.
    expect(alerts.map((a: { published_at: Date | null }) => a.published_at instanceof Date)).toEqual([true, true]);
    const alertQueue = worker.current.runtime.queues.get(QUEUES.usageAlerts)!;
    for (const alert of alerts) {
      const job = await eventually(() => alertQueue.getJob(`alert-${alert.id}`));
      expect(job.data).toMatchObject({ tenant_id: tenantId, agent: 'inbox', level: alert.level, limit: 10 });
    }
    const metrics = await (await fetch(worker.current.metricsUrl('/metrics'))).text();
    expect(metrics).toContain('usage_alerts_total{agent="inbox",level="warning"} 1');
    expect(metrics).toContain('usage_alerts_total{agent="inbox",level="error"} 1');
  });

  it('serves job counts, queue depth and commit lag on /metrics, and health on /health', async () => {
    const metrics = await (await fetch(worker.current.metricsUrl('/metrics'))).text();
    expect(metrics).toMatch(/bullmq_jobs_total\{queue="usage-events",name="track-event",outcome="completed"\} [1-9]/);
    // The unknown tenant's event was dead-lettered, not failed: no job ended in "failed".
    expect(metrics).toMatch(/usage_dead_letter_events_total\{reason="tenant_not_found"\} 1/);
    expect(metrics).not.toMatch(/bullmq_jobs_total\{queue="usage-events",name="track-event",outcome="failed"\} [1-9]/);
    expect(metrics).toMatch(/bullmq_jobs_total\{queue="usage-events",name="track-event",outcome="retry"\} 2/);
    expect(metrics).toMatch(/bullmq_job_duration_seconds_count\{queue="usage-events",name="track-events",outcome="completed"\} [1-9]/);
    expect(metrics).toMatch(/bullmq_queue_jobs\{queue="usage-events",state="failed"\} 0/);
    expect(metrics).toMatch(/bullmq_queue_jobs\{queue="usage-maintenance",state="delayed"\} \d+/);
    expect(metrics).toMatch(/usage_event_commit_lag_seconds_count [1-9]/);

    const health = await fetch(worker.current.metricsUrl('/health'));
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', checks: { postgres: 'up', redis: 'up', workers: 'up' } });
  });
});

describe('completed track jobs kept in Redis', () => {
  it('keeps at most COMPLETED_TRACK_JOBS_KEPT.count of them, however many complete', async () => {
    const tenantId = await tenantOn({ emails_per_month: null, invoices_per_month: null, meetings_per_month: null });
    const queue = worker.current.runtime.queues.get(QUEUES.usageEvents)!;
    const total = COMPLETED_TRACK_JOBS_KEPT.count + 200;
    const events = Array.from({ length: total }, (_, i) => email(tenantId, `kept-${i}`));
    for (let i = 0; i < events.length; i += 100) await Promise.all(events.slice(i, i + 100).map((event) => worker.current.client.track(event)));

    await eventually(async () => (await eventRows(tenantId)) === total, 60_000, 'every event stored');
    await eventually(async () => (await queue.getJobCounts('waiting', 'active')).active === 0 && (await queue.getWaitingCount()) === 0, 30_000, 'queue drained');
    expect(await queue.getCompletedCount()).toBeLessThanOrEqual(COMPLETED_TRACK_JOBS_KEPT.count);
    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(total);
  });
});
