import { randomUUID } from 'node:crypto';
import { createLogger } from '@metering/platform';
import { counterValue, recordUsage, seedPlan, seedTenant, useTestDatabase } from '@metering/testing';
import { ActionType, AgentType, UsageTracker } from '@metering/usage';
import { runCliCaptured } from './run-cli-captured';
import type { CliRun } from './run-cli-captured';

const db = useTestDatabase(2);
const logger = createLogger({ level: 'silent', json: true, service: 'test' });

function cli(...argv: string[]): Promise<CliRun> {
  return runCliCaptured(db.current.url, argv);
}

const email = (tenantId: string, resourceId: string) => ({ tenantId, agent: AgentType.Inbox, actionType: ActionType.EmailProcessed, resourceId });

describe('dead-letter and hold CLI commands', () => {
  it('lists a dead-lettered event and replays it once its cause is fixed: counted once, no longer listed', async () => {
    const tenantId = randomUUID();
    const tracker = new UsageTracker(db.current.dataSource, { logger });
    await recordUsage(tracker, [email(tenantId, 'early-1'), email(tenantId, 'early-2')]);

    const listed = await cli('dead-letters', '--tenant', tenantId, '--json');
    expect(listed.code).toBe(0);
    const rows = JSON.parse(listed.stdout) as Array<{ id: string; reason: string }>;
    expect(rows.map((row) => row.reason)).toEqual(['tenant_not_found', 'tenant_not_found']);
    expect((await cli('dead-letters', '--tenant', tenantId)).stdout).toContain('[tenant_not_found] Tenant');

    const stillMissing = await cli('replay-dead-letters', '--id', rows[0]!.id);
    expect(stillMissing.stdout).toContain('still refused 1');

    const plan = await seedPlan(db.current.dataSource);
    await db.current.dataSource.query(`INSERT INTO tenants (id, name) VALUES ($1, 'created late')`, [tenantId]);
    await db.current.dataSource.query(
      `INSERT INTO subscriptions (tenant_id, plan_id, status, current_period_start, current_period_end, billing_anchor_day)
       VALUES ($1, $2, 'active', date_trunc('month', now()), date_trunc('month', now()) + interval '1 month', 1)`,
      [tenantId, plan.id],
    );
    const replayed = await cli('replay-dead-letters', '--all', '--tenant', tenantId);
    const again = await cli('replay-dead-letters', '--all', '--tenant', tenantId);

    expect(replayed).toMatchObject({ code: 0, stdout: 'Replayed 2: counted 2, already counted 0, still refused 0\n' });
    expect(again.stdout).toBe('Replayed 0: counted 0, already counted 0, still refused 0\n');
    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(2);
    expect((await cli('dead-letters', '--tenant', tenantId)).stdout).toBe('No open dead letters.\n');
  });

  it('refuses replay-dead-letters without --id or --all, and an unknown reason', async () => {
    expect(await cli('replay-dead-letters')).toMatchObject({ code: 2, stderr: expect.stringContaining('--id') });
    expect(await cli('dead-letters', '--reason', 'bad_luck')).toMatchObject({ code: 2, stderr: expect.stringContaining('--reason must be one of') });
  });

  it('lists a counter on hold after reconciliation alerts, and resolve-hold --correct sets it to its events and releases it', async () => {
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id });
    await recordUsage(new UsageTracker(db.current.dataSource, { logger }), Array.from({ length: 20 }, (_, i) => email(tenantId, `m-${i}`)));
    await db.current.dataSource.query(`UPDATE usage_counters SET count = 30 WHERE tenant_id = $1`, [tenantId]);
    await cli('reconcile', '--tenant', tenantId);

    const held = JSON.parse((await cli('holds', '--json')).stdout) as Array<{ id: string; tenantId: string; counterCount: number; eventCount: number }>;
    const hold = held.find((h) => h.tenantId === tenantId)!;
    expect(hold).toMatchObject({ counterCount: 30, eventCount: 20 });
    expect((await cli('holds')).stdout).toContain(`tenant ${tenantId} inbox`);

    expect(await cli('resolve-hold', '--id', hold.id)).toMatchObject({ code: 2, stderr: expect.stringContaining('--note is required') });
    const resolved = await cli('resolve-hold', '--id', hold.id, '--note', 'double-applied batch', '--correct');
    expect(resolved.code).toBe(0);
    expect(resolved.stdout).toContain('is billed again at 20 (set to its events)');
    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(20);
    expect(JSON.parse((await cli('holds', '--json')).stdout).find((h: { tenantId: string }) => h.tenantId === tenantId)).toBeUndefined();
    expect((await cli('resolve-hold', '--id', hold.id, '--note', 'again')).code).toBe(2);
  });
});
