import { counterValue, seedPlan, seedTenant, uniqueQueuePrefix, useTestDatabase } from '@metering/testing';
import { JOBS, QUEUES } from '@metering/usage';
import type { BillingPeriod } from '@metering/usage';
import { eventually, startTestWorker } from './worker-test-kit';
import type { TestWorker } from './worker-test-kit';

const db = useTestDatabase();
const NOVEMBER: BillingPeriod = { start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-12-01T00:00:00Z') };
let open: TestWorker[] = [];

async function worker(overrides: Record<string, string> = {}, now?: string): Promise<TestWorker> {
  const started = await startTestWorker(db.current.url, { QUEUE_PREFIX: uniqueQueuePrefix(), ...overrides }, now ? () => new Date(now) : undefined);
  open.push(started);
  return started;
}

let cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  await Promise.all(open.map((w) => w.close()));
  open = [];
  for (const cleanup of cleanups) await cleanup();
  cleanups = [];
});

async function completed(w: TestWorker, jobId: string) {
  const queue = w.runtime.queues.get(QUEUES.usageMaintenance)!;
  return eventually(async () => {
    if ((await queue.getJobState(jobId)) !== 'completed') return undefined;
    return queue.getJob(jobId);
  });
}

describe('scheduled maintenance jobs', () => {
  it('registers the six schedules in UTC on every boot, with cron patterns from config', async () => {
    const prefix = uniqueQueuePrefix();
    const first = await worker({ QUEUE_PREFIX: prefix, CRON_RECONCILE_USAGE: '0 3 * * *', CRON_CLOSE_PERIODS: '* * * * *' });
    await first.close();
    open = [];
    const second = await worker({ QUEUE_PREFIX: prefix, CRON_RECONCILE_USAGE: '30 4 * * *', CRON_CLOSE_PERIODS: '*/2 * * * *' });

    const schedulers = await second.runtime.queues.get(QUEUES.usageMaintenance)!.getJobSchedulers();
    const byId = Object.fromEntries(schedulers.map((s) => [s.key, { name: s.name, pattern: s.pattern, tz: s.tz }]));
    expect(byId).toEqual({
      'reset-usage-counters': { name: 'reset-usage-counters', pattern: '5 0 * * *', tz: 'UTC' },
      'report-overage-to-stripe': { name: 'report-overage-to-stripe', pattern: '0 1 * * *', tz: 'UTC' },
      'reconcile-usage-counters': { name: 'reconcile-usage-counters', pattern: '30 4 * * *', tz: 'UTC' },
      'publish-usage-alerts': { name: 'publish-usage-alerts', pattern: '* * * * *', tz: 'UTC' },
      'close-billing-periods': { name: 'close-billing-periods', pattern: '*/2 * * * *', tz: 'UTC' },
      'reconcile-stripe-totals': { name: 'reconcile-stripe-totals', pattern: '0 4 * * *', tz: 'UTC' },
      'maintain-usage-event-partitions': { name: 'maintain-usage-event-partitions', pattern: '30 0 * * *', tz: 'UTC' },
    });
  });

  it('hands over the alerts that were stored but never reached the queue, once, leaving recent ones to their commit', async () => {
    const w = await worker();
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period: NOVEMBER, anchorDay: 1 });
    const insertAlert = async (level: string, agent: string, age: string, published: boolean): Promise<string> => {
      const [row] = await db.current.dataSource.query(
        `INSERT INTO usage_alerts (tenant_id, agent, period_start, level, threshold_percent, count_at_alert, limit_at_alert, created_at, published_at)
         VALUES ($1, $2, $3, $4, 80, 800, 1000, now() - $5::interval, CASE WHEN $6 THEN now() END) RETURNING id`,
        [tenantId, agent, NOVEMBER.start, level, age, published],
      );
      return row.id;
    };
    // The other tests here count every subscription: leave none behind.
    cleanups.push(() => db.current.dataSource.query(`DELETE FROM tenants WHERE id = $1`, [tenantId]));
    const lost = await insertAlert('warning', 'inbox', '10 minutes', false);
    const recent = await insertAlert('warning', 'invoice', '5 seconds', false);
    const delivered = await insertAlert('warning', 'meeting', '10 minutes', true);
    const maintenance = w.runtime.queues.get(QUEUES.usageMaintenance)!;
    const alertQueue = w.runtime.queues.get(QUEUES.usageAlerts)!;

    const unpublishedGauge = async (): Promise<string | undefined> =>
      /^usage_alerts_unpublished (\S+)$/m.exec(await (await fetch(w.metricsUrl('/metrics'))).text())?.[1];
    // Only the row stuck for over five minutes is reported (UsageAlertsNotPublished).
    expect(await unpublishedGauge()).toBe('1');

    const first = await maintenance.add(JOBS.publishUsageAlerts, { trigger: 'operator' });
    expect((await completed(w, first.id!)).returnvalue).toEqual({ published: 1 });
    const second = await maintenance.add(JOBS.publishUsageAlerts, { trigger: 'operator' });
    expect((await completed(w, second.id!)).returnvalue).toEqual({ published: 0 });

    const job = await alertQueue.getJob(`alert-${lost}`);
    expect(job?.data).toMatchObject({ alert_id: lost, tenant_id: tenantId, agent: 'inbox', level: 'warning', count: 800, limit: 1000 });
    expect(await unpublishedGauge()).toBe('0');
    expect(await alertQueue.getJob(`alert-${recent}`)).toBeUndefined();
    expect(await alertQueue.getJob(`alert-${delivered}`)).toBeUndefined();
    const rows = await db.current.dataSource.query(`SELECT id, published_at IS NOT NULL AS published FROM usage_alerts WHERE tenant_id = $1`, [tenantId]);
    expect(Object.fromEntries(rows.map((r: { id: string; published: boolean }) => [r.id, r.published]))).toEqual({
      [lost]: true,
      [recent]: false,
      [delivered]: true,
    });
  });

  it('rolls subscriptions over from the queue, then enqueues the Stripe report for the periods it closed', async () => {
    const w = await worker({}, '2026-12-01T00:05:00Z');
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period: NOVEMBER, anchorDay: 1 });
    const queue = w.runtime.queues.get(QUEUES.usageMaintenance)!;

    const job = await queue.add(JOBS.resetUsageCounters, { trigger: 'operator' });
    expect((await completed(w, job.id!)).returnvalue).toMatchObject({ subscriptionsRolled: 1, countersCreated: 3 });

    const [subscription] = await db.current.dataSource.query(`SELECT current_period_start FROM subscriptions WHERE tenant_id = $1`, [tenantId]);
    expect(subscription.current_period_start.toISOString()).toBe('2026-12-01T00:00:00.000Z');
    const report = await eventually(async () => {
      const jobs = await queue.getJobs(['completed']);
      return jobs.find((j) => j.name === JOBS.reportOverageToStripe);
    });
    expect(report.data).toEqual({ trigger: 'roll-over' });
  });

  it('reconciles from the queue with the tenant filter and dry run given in the job data', async () => {
    const w = await worker({}, '2026-11-20T03:00:00Z');
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period: NOVEMBER, anchorDay: 1 });
    await db.current.dataSource.query(
      `INSERT INTO usage_counters (tenant_id, agent, period_start, period_end, count) VALUES ($1, 'inbox', $2, $3, 3)`,
      [tenantId, NOVEMBER.start, NOVEMBER.end],
    );

    const job = await w.runtime.queues.get(QUEUES.usageMaintenance)!.add(JOBS.reconcileUsageCounters, { tenant_id: tenantId, dry_run: true });
    const done = await completed(w, job.id!);

    expect(done.returnvalue).toMatchObject({ tenantId, dryRun: true, countersChecked: 1, countersAlerted: 1 });
    const [run] = await db.current.dataSource.query(`SELECT tenant_id, dry_run, status FROM reconciliation_runs WHERE id = $1`, [done.returnvalue.runId]);
    expect(run).toEqual({ tenant_id: tenantId, dry_run: true, status: 'succeeded' });
  });

  it('serves only the queues WORKER_QUEUES names', async () => {
    const w = await worker({ WORKER_QUEUES: 'usage-events' });
    const maintenance = w.runtime.queues.get(QUEUES.usageMaintenance)!;
    expect(await maintenance.getJobSchedulersCount()).toBe(0);

    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id });
    const tracked = await w.client.track({ tenantId, agent: 'inbox' as never, actionType: 'email_processed' as never, resourceId: 'm1' });
    const job = await maintenance.add(JOBS.reconcileUsageCounters, {});

    await eventually(async () => (await counterValue(db.current.dataSource, tenantId, 'inbox')) === 1);
    expect(tracked.accepted).toBe(1);
    expect(await job.getState()).toBe('waiting');
  });

  it('refuses to start with an unknown queue name', async () => {
    await expect(worker({ WORKER_QUEUES: 'usage-events,usage-evnts' })).rejects.toThrow(/WORKER_QUEUES: unknown queue usage-evnts/);
  });
});
