/** Defaults for every optional variable; anything not listed here must be set. */
export const ENV_DEFAULTS: Record<string, string> = {
  NODE_ENV: 'development',
  DATABASE_POOL_SIZE: '10',
  QUEUE_PREFIX: '{metering}',
  API_PORT: '3000',
  WORKER_METRICS_PORT: '9100',
  WEB_ORIGIN: 'http://localhost:5173',
  TRIAL_LIMITS: '{"emails_per_month":100,"invoices_per_month":20,"meetings_per_month":5}',
  EVENT_MAX_AGE_DAYS: '35',
  EVENT_MAX_FUTURE_SECONDS: '300',
  USAGE_RATE_LIMIT_PER_MINUTE: '10',
  INGEST_RATE_LIMIT_PER_MINUTE: '1200',
  WORKER_CONCURRENCY: '400',
  WORKER_BATCH_SIZE: '200',
  WORKER_BATCH_WAIT_MS: '10',
  WORKER_QUEUES: 'all',
  SHUTDOWN_TIMEOUT_MS: '15000',
  CRON_RESET_USAGE: '5 0 * * *',
  CRON_REPORT_OVERAGE: '0 1 * * *',
  CRON_RECONCILE_USAGE: '0 3 * * *',
  STRIPE_USAGE_API: 'meter_events',
  STRIPE_BREAKER_THRESHOLD: '5',
  STRIPE_BREAKER_OPEN_MS: '900000',
  STRIPE_MAX_REQUESTS_PER_SECOND: '100',
  STRIPE_MAX_ATTEMPTS: '4',
  DEMO: 'true',
};

export const LOG_LEVEL_DEFAULTS: Record<string, string> = {
  production: 'info',
  development: 'info',
  test: 'warn',
};
