import { createLogger } from '@metering/platform';
import { BillingCreditsRepository } from '@metering/billing';
import { counterValue, recordUsage, seedPlan, seedTenant, useTestDatabase } from '@metering/testing';
import { ActionType, AgentType, UsageTracker } from '@metering/usage';
import { runCliCaptured } from './run-cli-captured';

const db = useTestDatabase(2);
const logger = createLogger({ level: 'silent', json: true, service: 'test' });
const cli = (...argv: string[]) => runCliCaptured(db.current.url, argv, { USER: 'ops-bob' });

describe('correct and corrections commands', () => {
  it('voids and adjusts through the same rules as the API, replays harmlessly and lists what was done', async () => {
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId, period } = await seedTenant(db.current.dataSource, { planId: plan.id });
    const tracker = new UsageTracker(db.current.dataSource, { logger });
    await recordUsage(tracker, [{ tenantId, agent: AgentType.Inbox, actionType: ActionType.EmailProcessed, resourceId: 'm-1', idempotencyKey: 'm-1', quantity: 4 }]);

    const voided = await cli('correct', '--tenant', tenantId, '--key', 'c-1', '--void', 'm-1', '--reason', 'test mail');
    expect(voided.code).toBe(0);
    expect(voided.stdout).toContain('voided event m-1 (-4); counter 4 → 0');
    const replay = await cli('correct', '--tenant', tenantId, '--key', 'c-1', '--void', 'm-1', '--reason', 'test mail');
    expect(replay.stdout).toMatch(/^Already applied \(nothing changed\)/);

    const adjusted = await cli('correct', '--tenant', tenantId, '--key', 'c-2', '--agent', 'inbox', '--period-start', period.start.toISOString(), '--quantity', '7', '--reason', 'missed batch', '--json');
    expect(JSON.parse(adjusted.stdout)).toMatchObject({ replayed: false, correction: { quantity_delta: 7, counter_after: 7, actor: 'cli:ops-bob' } });
    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(7);

    // Bad input: named, exit 2, nothing written.
    const bad = await cli('correct', '--tenant', tenantId, '--key', 'c-3', '--agent', 'inbox', '--period-start', 'later', '--quantity', '0', '--reason', 'x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('period_start: period_start must be an ISO 8601 date-time');
    expect(bad.stderr).toContain('quantity: quantity must be a whole number');
    const noReason = await cli('correct', '--tenant', tenantId, '--key', 'c-3', '--void', 'm-1');
    expect(noReason).toMatchObject({ code: 2, stderr: expect.stringContaining('--reason is required') });

    const listed = await cli('corrections', '--tenant', tenantId);
    expect(listed.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/c-2 {2}adjustment inbox .* \+7 \(0 → 7\) by cli:ops-bob: missed batch$/),
      expect.stringMatching(/c-1 {2}void inbox .* -4 \(4 → 0\) by cli:ops-bob: test mail$/),
    ]);
  });

  it('lists open credits and settles one, refusing an unknown id', async () => {
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id });
    const credit = await new BillingCreditsRepository(db.current.dataSource).record(
      { tenantId, agent: 'inbox', periodStart: new Date('2026-10-01Z'), periodEnd: new Date('2026-11-01Z'), quantity: 20, amountCents: 40, reportedQuantity: 30, owedQuantity: 10 },
      new Date(),
    );
    const listed = await cli('credits', '--tenant', tenantId);
    expect(listed.stdout).toContain(`${credit!.id} tenant ${tenantId} inbox 2026-10-01 → 2026-11-01: 20 units, 0.40 (billed 30, owed 10)`);

    expect((await cli('settle-credit', '--id', tenantId, '--note', 'x')).code).toBe(2);
    const settled = await cli('settle-credit', '--id', credit!.id, '--note', 'credit note cn_123');
    expect(settled).toMatchObject({ code: 0, stdout: expect.stringContaining(`Credit ${credit!.id} settled: 20 units (0.40)`) });
    expect((await cli('credits', '--tenant', tenantId)).stdout).toBe('No open credits.\n');
    const [row] = await db.current.dataSource.query(`SELECT status, settled_by, settlement_note FROM billing_credits WHERE id = $1`, [credit!.id]);
    expect(row).toEqual({ status: 'settled', settled_by: 'cli:ops-bob', settlement_note: 'credit note cn_123' });
  });
});
