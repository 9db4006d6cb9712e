import { createLogger } from '@metering/platform';
import { counterValue, recordUsage, seedPlan, seedTenant, useTestDatabase } from '@metering/testing';
import { ActionType, AgentType, UsageTracker, addMonthsAnchored, calendarMonthOf } from '@metering/usage';
import { createProgressBar } from '../src/progress-bar';
import { runCliCaptured } from './run-cli-captured';
import type { CliRun } from './run-cli-captured';

const db = useTestDatabase(2);
const logger = createLogger({ level: 'silent', json: true, service: 'test' });

function cli(...argv: string[]): Promise<CliRun> {
  return runCliCaptured(db.current.url, argv);
}

describe('maintenance CLI commands', () => {
  it('reset rolls an ended period over, prints a summary, and a second run changes nothing', async () => {
    const current = calendarMonthOf(new Date());
    const previous = { start: addMonthsAnchored(current.start, -1, 1), end: current.start };
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period: previous, anchorDay: 1 });

    const first = await cli('reset', '--json');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ subscriptionsRolled: 1, periodsAdvanced: 1, countersCreated: 3 });
    const [row] = await db.current.dataSource.query(`SELECT current_period_start FROM subscriptions WHERE tenant_id = $1`, [tenantId]);
    expect(row.current_period_start.toISOString()).toBe(current.start.toISOString());

    const second = await cli('reset');
    expect(second).toMatchObject({ code: 0, stdout: 'No billing period has ended: nothing to roll over.\n' });
  });

  it('reconcile --dry-run reports drift without fixing it; reconcile --tenant fixes it and prints the summary', async () => {
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id });
    const tracker = new UsageTracker(db.current.dataSource, { logger });
    await recordUsage(
      tracker,
      Array.from({ length: 50 }, (_, i) => ({ tenantId, agent: AgentType.Inbox, actionType: ActionType.EmailProcessed, resourceId: `m-${i}` })),
    );
    await db.current.dataSource.query(`UPDATE usage_counters SET count = 51 WHERE tenant_id = $1`, [tenantId]);

    const dry = await cli('reconcile', '--tenant', tenantId, '--dry-run', '--json');
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, tenantId, countersChecked: 1, drifts: [{ action: 'would_correct', counted: 51, recounted: 50 }] });
    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(51);

    const fixed = await cli('reconcile', '--tenant', tenantId);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toContain('checked 1 counters · corrected 1 · alerted 0 · largest drift 2.0%');
    expect(fixed.stdout).toContain('[corrected]');
    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(50);
    const [{ n }] = await db.current.dataSource.query(`SELECT count(*)::int AS n FROM reconciliation_runs WHERE tenant_id = $1`, [tenantId]);
    expect(n).toBe(2);
  });

  it('reconcile rejects a tenant that is not a UUID with exit code 2', async () => {
    const result = await cli('reconcile', '--tenant', 'acme');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--tenant must be a tenant id');
  });

  it('draws the progress bar only on a terminal', () => {
    let drawn = '';
    const stream = { write: (text: string) => (drawn += text) } as unknown as NodeJS.WriteStream;
    const bar = createProgressBar('Reconciling', true, stream);
    bar.update(1, 4);
    bar.update(4, 4);
    bar.finish();
    expect(drawn).toBe(`\rReconciling [${'#'.repeat(8)}${'-'.repeat(22)}]  25% 1/4\rReconciling [${'#'.repeat(30)}] 100% 4/4\n`);

    let silent = '';
    const quiet = createProgressBar('Reconciling', false, { write: (text: string) => (silent += text) } as unknown as NodeJS.WriteStream);
    quiet.update(1, 2);
    quiet.finish();
    expect(silent).toBe('');
  });
});
