import { useTestDatabase } from '@metering/testing';
import { runCliCaptured } from './run-cli-captured';
import type { CliRun } from './run-cli-captured';

const db = useTestDatabase(2);

function cli(...argv: string[]): Promise<CliRun> {
  return runCliCaptured(db.current.url, argv);
}

describe('operator CLI', () => {
  it('creates a plan, updates it by code, creates a tenant and shows its usage as JSON', async () => {
    const limits = '{"emails_per_month":1000,"invoices_per_month":200,"meetings_per_month":null}';
    expect((await cli('create-plan', '--code', 'starter', '--name', 'Starter', '--limits', limits, '--overage-cents', '{"inbox":2}')).code).toBe(0);
    const updated = await cli('create-plan', '--code', 'starter', '--name', 'Starter 2', '--limits', limits, '--overage-cents', '{"inbox":3}', '--json');
    expect(updated.code).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ code: 'starter', name: 'Starter 2', overage_unit_cents: { inbox: 3 } });
    const [plans] = await db.current.dataSource.query(`SELECT count(*)::int AS n FROM plans WHERE code = 'starter'`);
    expect(plans.n).toBe(1);

    const created = await cli('create-tenant', '--name', 'Acme', '--plan', 'starter');
    expect(created.code).toBe(0);
    const tenantId = created.stdout.trim();
    const [subscription] = await db.current.dataSource.query(`SELECT status FROM subscriptions WHERE tenant_id = $1`, [tenantId]);
    expect(subscription.status).toBe('active');

    const usage = await cli('usage', '--tenant', tenantId, '--json');
    expect(usage.code).toBe(0);
    expect(JSON.parse(usage.stdout)).toMatchObject({
      tenant_id: tenantId,
      plan: { code: 'starter', name: 'Starter 2' },
      usage: { inbox: { count: 0, limit: 1000 }, meeting: { limit: null } },
    });
  });

  it('names a malformed DATABASE_URL instead of failing in the driver', async () => {
    const run = await runCliCaptured('mysql://somewhere/usage', ['usage', '--tenant', '3f1b2c4d-1111-4222-8333-123456789abc']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('DATABASE_URL must be a postgres:// URL');
  });

  it('creates a trial tenant without a plan', async () => {
    const created = await cli('create-tenant', '--name', 'Trial Co', '--trial', '--json');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ name: 'Trial Co', status: 'trialing' });
  });

  it.each([
    [['create-plan', '--code', 'x', '--name', 'X', '--limits', '{"foo":1}', '--overage-cents', '{}'], 'limits.foo'],
    [['create-plan', '--code', 'x', '--name', 'X', '--limits', 'not json', '--overage-cents', '{}'], '--limits must be valid JSON'],
    [['create-plan', '--name', 'X'], '--code is required'],
    [['create-tenant', '--name', 'Acme', '--plan', 'no-such-plan'], 'Plan no-such-plan does not exist'],
    [['create-tenant', '--name', 'Acme'], 'a plan code is required'],
    [['usage', '--tenant', 'not-a-uuid'], '--tenant must be a tenant id'],
    [['create-tenant', '--bogus'], "Unknown option '--bogus'"],
    [['no-such-command'], 'Unknown command'],
  ])('rejects %j with exit code 2 and says why, changing nothing', async (argv, message) => {
    const [before] = await db.current.dataSource.query(`SELECT (SELECT count(*) FROM plans) + (SELECT count(*) FROM tenants) AS n`);
    const result = await cli(...argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    const [after] = await db.current.dataSource.query(`SELECT (SELECT count(*) FROM plans) + (SELECT count(*) FROM tenants) AS n`);
    expect(after.n).toBe(before.n);
  });

  it('prints help for every command', async () => {
    const overview = await cli('--help');
    expect(overview.code).toBe(0);
    expect(overview.stdout).toContain('create-tenant');
    const help = await cli('create-plan', '--help');
    expect(help.stdout).toContain('--overage-cents');
  });
});
