import { parseMaintenanceJobData, parseUsageAlertJobData } from '@metering/usage';

const TENANT = '3f1b2c4d-1111-4222-8333-123456789abc';
const ALERT = {
  alert_id: '9a1b2c4d-1111-4222-8333-123456789abc',
  tenant_id: TENANT,
  agent: 'inbox',
  period_start: '2026-11-01T00:00:00.000Z',
  level: 'warning',
  threshold_percent: 80,
  count: 800,
  limit: 1000,
};

const messages = (result: { ok: boolean; errors?: Array<{ message: string }> }) => (result.ok ? [] : result.errors!.map((e) => e.message));

describe('maintenance job data', () => {
  it('accepts the scheduler template, an empty or missing payload, and the tenant filters', () => {
    expect(parseMaintenanceJobData({ trigger: 'schedule' }, 'trigger only')).toEqual({ ok: true, data: { trigger: 'schedule' } });
    expect(parseMaintenanceJobData({}, 'trigger only')).toEqual({ ok: true, data: {} });
    expect(parseMaintenanceJobData(undefined, 'with tenant filters')).toEqual({ ok: true, data: {} });
    expect(parseMaintenanceJobData({ trigger: 'operator', tenant_id: TENANT, dry_run: true }, 'with tenant filters')).toEqual({
      ok: true,
      data: { trigger: 'operator', tenant_id: TENANT, dry_run: true },
    });
  });

  it('names every bad field', () => {
    expect(messages(parseMaintenanceJobData({ trigger: 'cron', tenant_id: 'acme', dry_run: 'yes' }, 'with tenant filters'))).toEqual([
      'trigger must be one of schedule, roll-over, operator',
      'tenant_id must be a UUID',
      'dry_run must be true or false',
    ]);
    expect(messages(parseMaintenanceJobData([], 'trigger only'))).toEqual(['job data must be a JSON object']);
    expect(messages(parseMaintenanceJobData('{}', 'trigger only'))).toEqual(['job data must be a JSON object']);
  });

  it('refuses a field the job does not read rather than running it unfiltered', () => {
    expect(messages(parseMaintenanceJobData({ tenantId: TENANT, dryRun: true }, 'with tenant filters'))).toEqual([
      'tenantId is not a field of this job',
      'dryRun is not a field of this job',
    ]);
    expect(messages(parseMaintenanceJobData({ tenant_id: TENANT }, 'trigger only'))).toEqual(['tenant_id is not a field of this job']);
    expect(messages(parseMaintenanceJobData(JSON.parse('{"__proto__": {"dry_run": true}}'), 'with tenant filters'))).toEqual([
      '__proto__ is not a field of this job',
    ]);
  });
});

describe('usage-alert job data', () => {
  it('accepts what the outbox enqueues, ignoring fields a newer producer may add', () => {
    expect(parseUsageAlertJobData({ ...ALERT, channel: 'email' })).toEqual({ ok: true, data: ALERT });
  });

  it('names every bad or missing field', () => {
    const { alert_id: _missing, ...withoutId } = ALERT;
    expect(messages(parseUsageAlertJobData({ ...withoutId, agent: 'fax', period_start: 'yesterday', level: 'info', count: -1, limit: 2.5 }))).toEqual([
      'alert_id must be a UUID',
      'agent must be one of inbox, invoice, meeting',
      'period_start must be an ISO-8601 date-time',
      'level must be one of warning, error, forecast',
      'count must not be negative',
      'limit must be an integer',
    ]);
    expect(messages(parseUsageAlertJobData(null))).toContain('tenant_id must be a UUID');
  });
});
