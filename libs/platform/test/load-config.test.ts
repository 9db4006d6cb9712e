import { ConfigError, loadConfig } from '@metering/platform';

const BASE = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x', REDIS_URL: 'redis://127.0.0.1:6379' };

describe('loadConfig', () => {
  it('applies defaults and types every value', () => {
    const config = loadConfig({ ...BASE });
    expect(config.env).toBe('development');
    expect(config.api.port).toBe(3000);
    expect(config.worker).toMatchObject({ concurrency: 400, batchSize: 200, batchWaitMs: 10, queues: 'all' });
    expect(config.usage.trialLimits).toEqual({ emails_per_month: 100, invoices_per_month: 20, meetings_per_month: 5 });
    expect(config.schedules).toEqual({ resetUsage: '5 0 * * *', reportOverage: '0 1 * * *', reconcileUsage: '0 3 * * *', publishAlerts: '* * * * *' });
    expect(config.queuePrefix).toBe('{metering}');
  });

  it('names every bad or missing variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({ API_PORT: 'eighty', WORKER_BATCH_SIZE: '0', JWT_SECRET: 'short', TRIAL_LIMITS: '[1]', CRON_RESET_USAGE: 'daily' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'API_PORT', 'WORKER_BATCH_SIZE', 'JWT_SECRET', 'TRIAL_LIMITS', 'CRON_RESET_USAGE']) {
      expect(problems).toContain(name);
    }
  });

  it('splits WORKER_QUEUES into queue names', () => {
    expect(loadConfig({ ...BASE, WORKER_QUEUES: 'usage-events, usage-maintenance' }).worker.queues).toEqual([
      'usage-events',
      'usage-maintenance',
    ]);
  });
});
