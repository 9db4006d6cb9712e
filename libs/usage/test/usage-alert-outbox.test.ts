import { createLogger } from '@metering/platform';
import { seedPlan, seedTenant, useTestDatabase } from '@metering/testing';
import { ALERT_JOB_OPTIONS, AgentType, UsageAlertOutbox, UsageAlertsService, calendarMonthOf } from '@metering/usage';
import type { AlertQueue, AlertQueueJob, CounterChange } from '@metering/usage';

const db = useTestDatabase();
const logger = createLogger({ level: 'silent', json: true, service: 'test' });
const PERIOD = calendarMonthOf(new Date('2026-11-15T00:00:00Z'));
const LIMITS = { emails_per_month: 100, invoices_per_month: 10, meetings_per_month: 10 };

const OOM = 'OOM command not allowed when used memory > maxmemory';

/** An in-process queue that keeps what it was handed; `outcomes` scripts its next calls (then: accept). */
class RecordingAlertQueue implements AlertQueue {
  readonly handedOver: AlertQueueJob[][] = [];
  outcomes: Array<'accept' | 'refuse'> = [];

  async addAlerts(jobs: readonly AlertQueueJob[]): Promise<void> {
    if (this.outcomes.shift() === 'refuse') throw new Error(OOM);
    this.handedOver.push([...jobs]);
  }

  refuseNext(calls: number): void {
    this.outcomes = Array.from({ length: calls }, () => 'refuse');
  }

  get jobIds(): string[] {
    return this.handedOver.flat().map((job) => job.jobId);
  }
}

function change(tenantId: string, agent: AgentType, previousCount: number, count: number): CounterChange {
  return { tenantId, agent, periodStart: PERIOD.start, periodEnd: PERIOD.end, previousCount, count };
}

async function tenant(): Promise<string> {
  const plan = await seedPlan(db.current.dataSource, { limits: LIMITS });
  return (await seedTenant(db.current.dataSource, { planId: plan.id, period: PERIOD })).tenantId;
}

async function publishedById(tenantId: string): Promise<Record<string, boolean>> {
  const rows: Array<{ id: string; published: boolean }> = await db.current.dataSource.query(
    `SELECT id, published_at IS NOT NULL AS published FROM usage_alerts WHERE tenant_id = $1`,
    [tenantId],
  );
  return Object.fromEntries(rows.map((row) => [row.id, row.published]));
}

/** Makes the tenant's alerts look written `age` ago (past or within the sweep's grace period). */
const age = (tenantId: string, interval: string) =>
  db.current.dataSource.query(`UPDATE usage_alerts SET created_at = now() - $2::interval WHERE tenant_id = $1`, [tenantId, interval]);

let queue: RecordingAlertQueue;
const outbox = (options: { pageSize?: number } = {}) =>
  new UsageAlertOutbox(new UsageAlertsService(db.current.dataSource, { trialLimits: LIMITS, logger }), queue, { logger, ...options });

beforeEach(async () => {
  queue = new RecordingAlertQueue();
  // The sweep reads every tenant's rows: each test starts from an empty outbox.
  await db.current.dataSource.query('DELETE FROM usage_alerts');
});

describe('UsageAlertOutbox', () => {
  it('hands each raised alert to the queue as one job named after its row, then marks it published', async () => {
    const tenantId = await tenant();

    await outbox().raise([change(tenantId, AgentType.Inbox, 79, 80), change(tenantId, AgentType.Invoice, 9, 10)]);

    const [[inbox, invoiceWarning, invoiceError]] = queue.handedOver as [AlertQueueJob[]];
    expect(queue.handedOver).toHaveLength(1);
    expect(inbox).toEqual({
      jobId: `alert-${inbox!.data.alert_id}`,
      data: {
        alert_id: inbox!.data.alert_id,
        tenant_id: tenantId,
        agent: 'inbox',
        period_start: PERIOD.start.toISOString(),
        level: 'warning',
        threshold_percent: 80,
        count: 80,
        limit: 100,
      },
      options: ALERT_JOB_OPTIONS,
    });
    expect([invoiceWarning!.data.level, invoiceError!.data.level]).toEqual(['warning', 'error']);
    expect(await publishedById(tenantId)).toEqual({
      [inbox!.data.alert_id]: true,
      [invoiceWarning!.data.alert_id]: true,
      [invoiceError!.data.alert_id]: true,
    });
  });

  it('keeps an alert the queue refused unpublished, and the sweep hands it over once, after the grace period', async () => {
    const tenantId = await tenant();
    queue.refuseNext(1);

    await expect(outbox().raise([change(tenantId, AgentType.Inbox, 79, 80)])).rejects.toThrow(/maxmemory/);
    const [alertId] = Object.keys(await publishedById(tenantId));
    // Still within the grace period: the commit that wrote it may be handing it over right now.
    const early = await outbox().publishUnpublished();
    await age(tenantId, '2 minutes');
    const swept = await outbox().publishUnpublished();
    const again = await outbox().publishUnpublished();

    expect([early, swept, again]).toEqual([{ published: 0 }, { published: 1 }, { published: 0 }]);
    expect(queue.jobIds).toEqual([`alert-${alertId}`]);
    expect(await publishedById(tenantId)).toEqual({ [alertId!]: true });
  });

  it('sweeps page by page until no unpublished alert is left', async () => {
    const tenantId = await tenant();
    queue.refuseNext(3);
    const raising = outbox();
    for (const agent of [AgentType.Inbox, AgentType.Invoice, AgentType.Meeting]) {
      await expect(raising.raise([change(tenantId, agent, 9, 100)])).rejects.toThrow(/maxmemory/);
    }
    await age(tenantId, '10 minutes');

    const swept = await outbox({ pageSize: 2 }).publishUnpublished();

    expect(swept).toEqual({ published: 6 });
    expect(queue.handedOver.map((page) => page.length)).toEqual([2, 2, 2]);
    expect(new Set(queue.jobIds).size).toBe(6);
    expect(Object.values(await publishedById(tenantId))).toEqual([true, true, true, true, true, true]);
  });

  it('keeps the pages a failing sweep already handed over, and the next sweep takes the rest', async () => {
    const tenantId = await tenant();
    queue.refuseNext(2);
    const raising = outbox();
    for (const agent of [AgentType.Inbox, AgentType.Invoice]) {
      await expect(raising.raise([change(tenantId, agent, 9, 100)])).rejects.toThrow(/maxmemory/);
    }
    await age(tenantId, '10 minutes');
    const sweeping = outbox({ pageSize: 2 });

    // The first page (two alerts) goes over; the queue refuses the second.
    queue.outcomes = ['accept', 'refuse'];
    await expect(sweeping.publishUnpublished()).rejects.toThrow(/maxmemory/);
    const published = Object.values(await publishedById(tenantId)).filter(Boolean).length;
    const rest = await sweeping.publishUnpublished();

    expect(published).toBe(2);
    expect(rest).toEqual({ published: 2 });
    expect(new Set(queue.jobIds).size).toBe(4);
  });
});
