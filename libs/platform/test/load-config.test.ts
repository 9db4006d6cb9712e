import {
  ConfigError,
  loadApiConfig,
  loadDemoAgentConfig,
  loadOverageReportConfig,
  loadTokenConfig,
  loadUsageRulesConfig,
  loadWorkerConfig,
} from '@metering/platform';

const BASE = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x', REDIS_URL: 'redis://127.0.0.1:6379' };
const PRODUCTION_JWT = { JWT_SECRET: 'a-production-secret-of-at-least-32-characters', JWT_ISSUER: 'https://idp.example.com', JWT_AUDIENCE: 'usage-api' };

/** The problems of the ConfigError `load` throws (fails the test when it throws nothing else). */
function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('security defaults and production checks', () => {
  it('is safe with nothing set: no dev login, loopback binds, budgets and limits on', () => {
    const api = loadApiConfig({ ...BASE });
    expect(api.devLogin).toBe(false);
    expect(api.listen).toEqual({ host: '127.0.0.1', metricsPort: 9464, metricsHost: '127.0.0.1' });
    expect(api.ipLimit).toEqual({ perMinute: 600, trustProxy: false });
    expect(api.ingestBudget).toEqual({ eventsPerMinute: 60000, bytesPerMinute: 67108864, redisMemoryShedPercent: 85, redisMemorySampleMs: 1000 });
    expect(api.auth).toMatchObject({ clockToleranceSeconds: 30, maxAgeSeconds: 86400, operatorLoginMaxFailures: 5, operatorLockoutSeconds: 900 });
    expect(loadWorkerConfig({ ...BASE }).worker.metricsHost).toBe('127.0.0.1');
    expect(loadApiConfig({ ...BASE, DEV_LOGIN: 'true' }).devLogin).toBe(true);
  });

  it('refuses DEV_LOGIN, published example secrets and tokens without issuer or audience in production', () => {
    expect(problemsOf(() => loadApiConfig({ ...BASE, NODE_ENV: 'production', JWT_SECRET: PRODUCTION_JWT.JWT_SECRET }))).toEqual([
      'JWT_ISSUER must be set in production',
      'JWT_AUDIENCE must be set in production',
    ]);
    expect(
      problemsOf(() =>
        loadApiConfig({
          ...BASE,
          ...PRODUCTION_JWT,
          NODE_ENV: 'production',
          DEV_LOGIN: 'true',
          JWT_SECRET: 'change-me-development-secret-at-least-32-chars',
          OPERATOR_USERNAME: 'operator',
          OPERATOR_PASSWORD: 'change-me-operator',
        }),
      ),
    ).toEqual([
      'JWT_SECRET is a published example value; set a random secret in production',
      'OPERATOR_PASSWORD is a published example value; set a random password in production',
      'DEV_LOGIN must not be enabled with NODE_ENV=production',
    ]);
    expect(problemsOf(() => loadApiConfig({ ...BASE, ...PRODUCTION_JWT, NODE_ENV: 'production', JWT_SECRET: 'development-only-jwt-secret--never-use-in-production' }))).toEqual([
      'JWT_SECRET is a published example value; set a random secret in production',
    ]);
    expect(loadApiConfig({ ...BASE, ...PRODUCTION_JWT, NODE_ENV: 'production' }).auth).toMatchObject({ issuer: 'https://idp.example.com', audience: 'usage-api' });
  });

  it('names bad security variables', () => {
    expect(
      problemsOf(() =>
        loadApiConfig({
          ...BASE,
          DEV_LOGIN: 'yes',
          API_HOST: 'localhost',
          INGEST_EVENTS_PER_MINUTE: '10',
          INGEST_BYTES_PER_MINUTE: '1000',
          REDIS_MEMORY_SHED_PERCENT: '100',
          TRUST_PROXY: 'everyone',
          JWT_MAX_AGE_SECONDS: '5',
        }),
      ),
    ).toEqual([
      'JWT_MAX_AGE_SECONDS must not be less than 60',
      'DEV_LOGIN must be true or false',
      'API_HOST must be an IP address to bind, e.g. 127.0.0.1 or 0.0.0.0',
      'TRUST_PROXY must be false, a hop count, or proxy addresses / subnets (comma-separated)',
      'INGEST_EVENTS_PER_MINUTE must be at least 1000 (one full batch)',
      'INGEST_BYTES_PER_MINUTE must be at least 5242880 (one full 5 MB body)',
      'REDIS_MEMORY_SHED_PERCENT must not be greater than 99',
    ]);
  });
});

describe('process config loaders', () => {
  it('apply defaults and type every value', () => {
    const api = loadApiConfig({ ...BASE });
    expect(api.env).toBe('development');
    expect(api.logLevel).toBe('info');
    expect(api.shutdownTimeoutMs).toBe(15000);
    expect(api.api).toEqual({ port: 3000, webOrigin: 'http://localhost:5173', usageRateLimitPerMinute: 10, ingestRateLimitPerMinute: 1200, usageReadCacheMs: 1000, demoTenantId: undefined });
    expect(api.usage.trialLimits).toEqual({ emails_per_month: 100, invoices_per_month: 20, meetings_per_month: 5 });
    expect(api.queuePrefix).toBe('{metering}');
    expect(api.database).toEqual({ url: BASE.DATABASE_URL, poolSize: 10 });

    const worker = loadWorkerConfig({ ...BASE, NODE_ENV: 'test' });
    expect(worker.logLevel).toBe('warn');
    expect(worker.worker).toMatchObject({ concurrency: 400, batchSize: 200, batchWaitMs: 10, queues: 'all' });
    expect(worker.schedules).toEqual({ resetUsage: '5 0 * * *', reportOverage: '0 1 * * *', reconcileUsage: '0 3 * * *', publishAlerts: '* * * * *', closePeriods: '* * * * *', reconcileStripe: '0 4 * * *', maintainPartitions: '30 0 * * *' });
    expect(worker.stripe).toMatchObject({ usageApi: 'meter_events', maxAttempts: 4, concurrency: 20 });
  });

  it('name every bad or missing variable of the process in one error', () => {
    const api = problemsOf(() => loadApiConfig({ API_PORT: 'eighty', JWT_SECRET: 'short', TRIAL_LIMITS: '[1]', DEMO_TENANT_ID: 'demo', USAGE_READ_CACHE_MS: '1001' })).join('\n');
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'API_PORT', 'JWT_SECRET', 'TRIAL_LIMITS', 'DEMO_TENANT_ID', 'USAGE_READ_CACHE_MS']) expect(api).toContain(name);

    const worker = problemsOf(() => loadWorkerConfig({ ...BASE, WORKER_BATCH_SIZE: '0', CRON_RESET_USAGE: 'daily', STRIPE_MAX_ATTEMPTS: 'four', EVENT_MAX_AGE_DAYS: '99' })).join('\n');
    for (const name of ['WORKER_BATCH_SIZE', 'CRON_RESET_USAGE', 'STRIPE_MAX_ATTEMPTS', 'EVENT_MAX_AGE_DAYS']) expect(worker).toContain(name);
  });

  it('keep every event by default and read the event retention as whole months, naming a bad value', () => {
    expect(loadWorkerConfig({ ...BASE }).eventRetention).toEqual({ retentionMonths: null, partitionsAhead: 2 });
    expect(loadWorkerConfig({ ...BASE, USAGE_EVENTS_RETENTION_MONTHS: '13', USAGE_EVENTS_PARTITIONS_AHEAD: '3' }).eventRetention).toEqual({
      retentionMonths: 13,
      partitionsAhead: 3,
    });
    for (const bad of ['0', '-1', '1.5', 'a year']) {
      expect(problemsOf(() => loadWorkerConfig({ ...BASE, USAGE_EVENTS_RETENTION_MONTHS: bad }))).toEqual([
        'USAGE_EVENTS_RETENTION_MONTHS must be a whole number of months from 1 to 9999, or unset to keep every event',
      ]);
    }
    expect(problemsOf(() => loadWorkerConfig({ ...BASE, USAGE_EVENTS_PARTITIONS_AHEAD: '0', CRON_MAINTAIN_PARTITIONS: 'nightly' })).join('\n')).toMatch(
      /USAGE_EVENTS_PARTITIONS_AHEAD[\s\S]*CRON_MAINTAIN_PARTITIONS|CRON_MAINTAIN_PARTITIONS[\s\S]*USAGE_EVENTS_PARTITIONS_AHEAD/,
    );
  });

  it('validate only the sections of their process', () => {
    const workerOnly = { WORKER_CONCURRENCY: '0', CRON_REPORT_OVERAGE: 'nightly', STRIPE_SECRET_KEY: 'pk_wrong', STRIPE_TIMEOUT_MS: '1' };
    const apiOnly = { API_PORT: '-1', OPERATOR_PASSWORD: 'short', STRIPE_WEBHOOK_SECRET: 'nope', DEMO_TENANT_ID: 'demo' };

    expect(problemsOf(() => loadWorkerConfig({ ...BASE, ...apiOnly, ...workerOnly }))).toHaveLength(4);
    expect(loadWorkerConfig({ ...BASE, ...apiOnly }).worker.concurrency).toBe(400);

    expect(problemsOf(() => loadApiConfig({ ...BASE, ...apiOnly, ...workerOnly }))).toHaveLength(4);
    expect(loadApiConfig({ ...BASE, ...workerOnly }).api.port).toBe(3000);
  });

  it('let the CLI and token minting run without DATABASE_URL or REDIS_URL', () => {
    expect(loadTokenConfig({ JWT_SECRET: 'x'.repeat(32), JWT_ISSUER: 'metering' })).toMatchObject({
      env: 'development',
      auth: { jwtSecret: 'x'.repeat(32), issuer: 'metering' },
    });
    expect(problemsOf(() => loadTokenConfig({ JWT_SECRET: 'short', NODE_ENV: 'staging' })).join('\n')).toMatch(/JWT_SECRET[\s\S]*NODE_ENV|NODE_ENV[\s\S]*JWT_SECRET/);
    expect(loadUsageRulesConfig({ TRIAL_LIMITS: '{"emails_per_month":null}' }).usage.trialLimits).toEqual({ emails_per_month: null });
    expect(loadOverageReportConfig({ QUEUE_PREFIX: '{ops}' })).toMatchObject({ queuePrefix: '{ops}', stripe: { usageApi: 'meter_events' } });
    expect(loadDemoAgentConfig({ ...BASE, DEMO: 'false' }).demo).toBe(false);
    expect(problemsOf(() => loadDemoAgentConfig({ DEMO: 'maybe' })).join('\n')).toMatch(/DEMO[\s\S]*DATABASE_URL|DATABASE_URL[\s\S]*DEMO/);
  });

  it('give the API the webhook secret and the workers the reporting settings of Stripe', () => {
    const env = { ...BASE, STRIPE_WEBHOOK_SECRET: 'whsec_123', STRIPE_SECRET_KEY: 'sk_test_123' };
    expect(loadApiConfig(env).stripe).toEqual({ webhookSecret: 'whsec_123' });
    expect(loadWorkerConfig(env).stripe).toMatchObject({ secretKey: 'sk_test_123' });
    expect(loadWorkerConfig(env).stripe).not.toHaveProperty('webhookSecret');
  });

  it('read DEMO_TENANT_ID as a tenant id and require an operator password in production', () => {
    const tenant = '3F1B2C4D-1111-4222-8333-123456789ABC';
    expect(loadApiConfig({ ...BASE, DEMO_TENANT_ID: tenant }).api.demoTenantId).toBe(tenant.toLowerCase());
    expect(problemsOf(() => loadApiConfig({ ...BASE, ...PRODUCTION_JWT, NODE_ENV: 'production', OPERATOR_USERNAME: 'ops' }))).toEqual([
      'OPERATOR_PASSWORD must be set when OPERATOR_USERNAME is set',
    ]);
  });

  it('split WORKER_QUEUES into queue names', () => {
    expect(loadWorkerConfig({ ...BASE, WORKER_QUEUES: 'usage-events, usage-maintenance' }).worker.queues).toEqual([
      'usage-events',
      'usage-maintenance',
    ]);
  });
});

describe('the read replica (DATABASE_READ_URL)', () => {
  it('is off by default, with a lag bound of 2 s checked every 500 ms', () => {
    expect(loadApiConfig({ ...BASE }).databaseRead).toEqual({ url: null, maxLagMs: 2000, checkMs: 500 });
    expect(loadApiConfig({ ...BASE, DATABASE_READ_URL: 'postgres://reader@10.0.0.6:5432/x', DATABASE_READ_MAX_LAG_MS: '5000' }).databaseRead).toEqual({
      url: 'postgres://reader@10.0.0.6:5432/x',
      maxLagMs: 5000,
      checkMs: 500,
    });
  });

  it('names a bad replica URL, bound or check interval', () => {
    expect(problemsOf(() => loadApiConfig({ ...BASE, DATABASE_READ_URL: 'mysql://10.0.0.6/x', DATABASE_READ_MAX_LAG_MS: '50', DATABASE_READ_CHECK_MS: '10' }))).toEqual([
      'DATABASE_READ_URL must be a postgres:// URL (a streaming replica of DATABASE_URL)',
      'DATABASE_READ_MAX_LAG_MS must not be less than 100',
      'DATABASE_READ_CHECK_MS must not be less than 50',
    ]);
    expect(problemsOf(() => loadApiConfig({ ...BASE, DATABASE_READ_MAX_LAG_MS: '1000', DATABASE_READ_CHECK_MS: '800' }))).toEqual([
      'DATABASE_READ_CHECK_MS must be at most half of DATABASE_READ_MAX_LAG_MS (the lag is measured once per check)',
    ]);
  });

  it('refuses a replica URL that names the primary itself', () => {
    expect(problemsOf(() => loadApiConfig({ ...BASE, DATABASE_READ_URL: 'postgresql://other-user:secret@127.0.0.1/x' }))).toEqual([
      'DATABASE_READ_URL names the same server and database as DATABASE_URL: leave it unset to read from the primary',
    ]);
  });

  it('is read by the API only', () => {
    expect(() => loadWorkerConfig({ ...BASE, DATABASE_READ_URL: 'not-a-url' })).not.toThrow();
  });
});

describe('Redis Cluster and track queue shards', () => {
  it('keep a single Redis and one track queue by default', () => {
    const api = loadApiConfig({ ...BASE });
    expect(api.redis).toEqual({ url: BASE.REDIS_URL, cluster: null });
    expect(api.usageQueueShards).toBe(1);
  });

  it('select a cluster from REDIS_CLUSTER_NODES, with the replica wait on by default and REDIS_URL optional', () => {
    const worker = loadWorkerConfig({ DATABASE_URL: BASE.DATABASE_URL, REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b:7001,[::1]:7002', USAGE_QUEUE_SHARDS: '12' });
    expect(worker.redis).toEqual({
      url: '',
      cluster: {
        nodes: [
          { host: '10.0.0.1', port: 7000 },
          { host: 'redis-b', port: 7001 },
          { host: '::1', port: 7002 },
        ],
        waitReplicas: 1,
        waitTimeoutMs: 250,
      },
    });
    expect(worker.usageQueueShards).toBe(12);
  });

  it('name every bad cluster and shard variable', () => {
    expect(
      problemsOf(() =>
        loadApiConfig({
          ...BASE,
          REDIS_CLUSTER_NODES: '10.0.0.1:7000,redis-b,10.0.0.3:99999',
          REDIS_CLUSTER_WAIT_REPLICAS: '-1',
          REDIS_CLUSTER_WAIT_TIMEOUT_MS: '0',
          QUEUE_PREFIX: 'metering',
          USAGE_QUEUE_SHARDS: '65',
        }),
      ),
    ).toEqual([
      'REDIS_CLUSTER_WAIT_REPLICAS must not be less than 0',
      'REDIS_CLUSTER_WAIT_TIMEOUT_MS must not be less than 1',
      'REDIS_CLUSTER_NODES: "redis-b" is not host:port (a comma-separated list of seed nodes, e.g. 10.0.0.1:7000,10.0.0.2:7000)',
      'REDIS_CLUSTER_NODES: "10.0.0.3:99999" is not host:port (a comma-separated list of seed nodes, e.g. 10.0.0.1:7000,10.0.0.2:7000)',
      'USAGE_QUEUE_SHARDS must not be greater than 64',
      'QUEUE_PREFIX must contain a hash tag such as {metering} when REDIS_CLUSTER_NODES is set (got "metering")',
    ]);
    expect(problemsOf(() => loadWorkerConfig({ DATABASE_URL: BASE.DATABASE_URL }))).toContain('REDIS_URL must be set (or REDIS_CLUSTER_NODES for a Redis Cluster)');
    expect(problemsOf(() => loadWorkerConfig({ ...BASE, USAGE_QUEUE_SHARDS: 'two' }))).toContain('USAGE_QUEUE_SHARDS must be an integer number');
  });
});
