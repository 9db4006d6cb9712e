import { createLogger, metricsRegistry } from '@metering/platform';
import { counterValue, recordUsage, seedPlan, seedTenant, useTestDatabase } from '@metering/testing';
import { ActionType, AgentType, CounterHoldsRepository, ReconciliationInProgressError, UsageReconciliationService, UsageTracker } from '@metering/usage';
import type { BillingPeriod } from '@metering/usage';

const db = useTestDatabase();
const logger = createLogger({ level: 'silent', json: true, service: 'test' });
const NOW = new Date('2026-11-20T03:00:00Z');
const NOVEMBER: BillingPeriod = { start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-12-01T00:00:00Z') };
const OCTOBER: BillingPeriod = { start: new Date('2026-10-01T00:00:00Z'), end: new Date('2026-11-01T00:00:00Z') };

const reconciler = () => new UsageReconciliationService(db.current.dataSource, { logger, clock: () => NOW });

/** A tenant with `events` recorded through the tracker (events and counter agree), quantity 1 each. */
async function tenantWithEvents(events: number, agent = AgentType.Inbox): Promise<string> {
  const plan = await seedPlan(db.current.dataSource);
  const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period: NOVEMBER, anchorDay: 1 });
  const tracker = new UsageTracker(db.current.dataSource, { logger, clock: () => NOW });
  const action = agent === AgentType.Inbox ? ActionType.EmailProcessed : ActionType.InvoiceDetected;
  await recordUsage(
    tracker,
    Array.from({ length: events }, (_, i) => ({ tenantId, agent, actionType: action, resourceId: `r-${i}`, occurredAt: '2026-11-10T00:00:00Z' })),
    NOW,
  );
  return tenantId;
}

async function setCounter(tenantId: string, agent: string, count: number): Promise<void> {
  await db.current.dataSource.query(`UPDATE usage_counters SET count = $3 WHERE tenant_id = $1 AND agent = $2`, [tenantId, agent, count]);
}

async function lastRun() {
  const [run] = await db.current.dataSource.query(`SELECT * FROM reconciliation_runs ORDER BY started_at DESC, id DESC LIMIT 1`);
  return run;
}

beforeEach(async () => {
  await db.current.dataSource.query(`TRUNCATE tenants, plans, reconciliation_runs CASCADE`);
});

describe('UsageReconciliationService', () => {
  it('corrects a 3% drift in place and records the run', async () => {
    const tenantId = await tenantWithEvents(100);
    await setCounter(tenantId, 'inbox', 103);

    const summary = await reconciler().reconcile();

    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(100);
    expect(summary).toMatchObject({ countersChecked: 1, countersCorrected: 1, countersAlerted: 0, maxDriftRatio: 0.03 });
    const run = await lastRun();
    expect(run).toMatchObject({ id: summary.runId, status: 'succeeded', dry_run: false, tenant_id: null, counters_checked: 1, counters_corrected: 1, counters_alerted: 0 });
    expect(run.started_at.toISOString()).toBe(NOW.toISOString());
    expect(run.details).toEqual([
      expect.objectContaining({ tenantId, agent: 'inbox', kind: 'drift', counted: 103, recounted: 100, action: 'corrected' }),
    ]);
  });

  it('does not correct a 10% drift but alerts it: run row, gauge and alert counter', async () => {
    const tenantId = await tenantWithEvents(100);
    await setCounter(tenantId, 'inbox', 110);

    const summary = await reconciler().reconcile();

    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(110);
    expect(summary).toMatchObject({ countersCorrected: 0, countersAlerted: 1, maxDriftRatio: 0.1 });
    expect(await lastRun()).toMatchObject({ status: 'succeeded', counters_alerted: 1, max_drift_ratio: 0.1 });
    const metrics = await metricsRegistry.metrics();
    expect(metrics).toContain('usage_counter_drift_ratio{agent="inbox"} 0.1');
    expect(metrics).toMatch(/reconciliation_alerts_total\{agent="inbox"\} [1-9]/);
  });

  it('holds a counter it alerts on, once, until an operator resolves it (optionally correcting it to its events)', async () => {
    const tenantId = await tenantWithEvents(100);
    await setCounter(tenantId, 'inbox', 110);
    const holds = new CounterHoldsRepository(db.current.dataSource);

    await reconciler().reconcile();
    await reconciler().reconcile();
    await reconciler().reconcile({ dryRun: true });

    const open = await holds.listOpen();
    expect(open).toEqual([expect.objectContaining({ tenantId, agent: 'inbox', periodStart: NOVEMBER.start, counterCount: 110, eventCount: 100, driftRatio: 0.1 })]);
    const resolved = await holds.resolve(open[0]!.id, 'a test wrote the counter', true, NOW);
    expect(resolved).toMatchObject({ hold: { resolution: 'a test wrote the counter', resolvedAt: NOW }, count: 100 });
    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(100);
    expect(await holds.listOpen()).toEqual([]);
    expect(await holds.resolve(open[0]!.id, 'again', false, NOW)).toBeNull();
  });

  it('recounts every period still in Stripe\'s window, not only the current and the previous', async () => {
    const tenantId = await tenantWithEvents(1);
    const september: BillingPeriod = { start: new Date('2026-09-01T00:00:00Z'), end: new Date('2026-10-01T00:00:00Z') };
    await db.current.dataSource.query(
      `INSERT INTO usage_counters (tenant_id, agent, period_start, period_end, count) VALUES ($1, 'meeting', $2, $3, 2)`,
      [tenantId, september.start, september.end],
    );

    const summary = await new UsageReconciliationService(db.current.dataSource, { logger, clock: () => new Date('2026-10-20T00:00:00Z') }).reconcile({ dryRun: true });

    expect(summary.drifts).toEqual([expect.objectContaining({ agent: 'meeting', periodStart: september.start.toISOString(), kind: 'counter_without_events' })]);
  });

  it('changes nothing on a dry run but records what it would do', async () => {
    const tenantId = await tenantWithEvents(100);
    await setCounter(tenantId, 'inbox', 102);

    const summary = await reconciler().reconcile({ dryRun: true });

    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(102);
    expect(summary.drifts).toEqual([expect.objectContaining({ action: 'would_correct', counted: 102, recounted: 100 })]);
    expect(await lastRun()).toMatchObject({ dry_run: true, counters_corrected: 0, status: 'succeeded' });
  });

  it('recounts chunks on concurrent connections: every drift corrected once, summary in tenant order, holds placed', async () => {
    const tenants: string[] = [];
    for (let i = 0; i < 7; i++) tenants.push(await tenantWithEvents(100));
    // Small drift (corrected) on four tenants, large drift (alerted and held) on one.
    for (const tenantId of tenants.slice(0, 4)) await setCounter(tenantId, 'inbox', 102);
    await setCounter(tenants[6]!, 'inbox', 150);
    const sorted = [...tenants].sort();

    const summary = await new UsageReconciliationService(db.current.dataSource, { logger, clock: () => NOW, chunkSize: 2, concurrency: 3 }).reconcile();

    for (const tenantId of tenants.slice(0, 6)) expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(100);
    expect(await counterValue(db.current.dataSource, tenants[6]!, 'inbox')).toBe(150);
    expect(summary).toMatchObject({ countersChecked: 7, countersCorrected: 4, countersAlerted: 1 });
    const order = summary.drifts.map((drift) => sorted.indexOf(drift.tenantId));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const holds = await db.current.dataSource.query(`SELECT tenant_id, counter_count::int, event_count::int FROM usage_counter_holds`);
    expect(holds).toEqual([{ tenant_id: tenants[6], counter_count: 150, event_count: 100 }]);
    // A second run finds nothing left to correct: no delta was applied twice.
    const again = await reconciler().reconcile();
    expect(again).toMatchObject({ countersChecked: 7, countersCorrected: 0, countersAlerted: 1 });
  });

  it('checks only the given tenant when asked', async () => {
    const mine = await tenantWithEvents(50);
    const other = await tenantWithEvents(50);
    await setCounter(mine, 'inbox', 51);
    await setCounter(other, 'inbox', 51);

    await reconciler().reconcile({ tenantId: mine });

    expect(await counterValue(db.current.dataSource, mine, 'inbox')).toBe(50);
    expect(await counterValue(db.current.dataSource, other, 'inbox')).toBe(51);
    expect(await lastRun()).toMatchObject({ tenant_id: mine, counters_checked: 1 });
  });

  it('reports counters without events and events without a counter, and leaves zeroed counters alone', async () => {
    const tenantId = await tenantWithEvents(20);
    const ds = db.current.dataSource;
    await ds.query(`INSERT INTO usage_counters (tenant_id, agent, period_start, period_end, count) VALUES ($1, 'meeting', $2, $3, 0)`, [
      tenantId, NOVEMBER.start, NOVEMBER.end,
    ]);
    await ds.query(`INSERT INTO usage_counters (tenant_id, agent, period_start, period_end, count) VALUES ($1, 'invoice', $2, $3, 7)`, [
      tenantId, NOVEMBER.start, NOVEMBER.end,
    ]);
    // Events of the just-closed period whose counter is gone.
    await ds.query(
      `INSERT INTO usage_events (tenant_id, agent, action_type, resource_id, quantity, idempotency_key, occurred_at, period_start)
       VALUES ($1, 'inbox', 'email_processed', 'old', 4, 'old-1', $2, $3)`,
      [tenantId, new Date('2026-10-20T00:00:00Z'), OCTOBER.start],
    );

    const summary = await reconciler().reconcile();

    expect(summary.countersChecked).toBe(4);
    expect(summary.drifts).toEqual([
      expect.objectContaining({ agent: 'inbox', periodStart: OCTOBER.start.toISOString(), kind: 'missing_counter', counted: 0, recounted: 4, action: 'alerted' }),
      expect.objectContaining({ agent: 'invoice', kind: 'counter_without_events', counted: 7, recounted: 0, action: 'alerted' }),
    ]);
    expect(await counterValue(ds, tenantId, 'invoice')).toBe(7);
  });

  it('refuses to run beside another run, which would apply the same corrections twice', async () => {
    await tenantWithEvents(1);
    const holder = db.current.dataSource.createQueryRunner();
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(7211426002)');
      await expect(reconciler().reconcile()).rejects.toThrow(ReconciliationInProgressError);
    } finally {
      await holder.query('SELECT pg_advisory_unlock(7211426002)');
      await holder.release();
    }
  });
});
