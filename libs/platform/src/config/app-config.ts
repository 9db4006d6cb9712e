/** Limits keyed as in `plans.limits`; a missing or null key means unlimited. */
export type PlanLimitsConfig = Record<string, number | null>;

/** The validated, typed configuration of every process. Read once at start-up. */
export interface AppConfig {
  env: 'development' | 'production' | 'test';
  logLevel: string;
  database: { url: string; poolSize: number };
  redis: { url: string };
  queuePrefix: string;
  api: {
    port: number;
    webOrigin: string;
    usageRateLimitPerMinute: number;
    ingestRateLimitPerMinute: number;
  };
  auth: {
    jwtSecret?: string;
    jwtPublicKey?: string;
    issuer?: string;
    audience?: string;
    operatorUsername?: string;
    operatorPassword?: string;
  };
  usage: {
    trialLimits: PlanLimitsConfig;
    eventMaxAgeDays: number;
    eventMaxFutureSeconds: number;
  };
  worker: {
    metricsPort: number;
    concurrency: number;
    batchSize: number;
    batchWaitMs: number;
    queues: string[] | 'all';
    /** BullMQ lock of an active job; a crashed worker's jobs are re-queued after it expires. */
    lockDurationMs: number;
    stalledIntervalMs: number;
    maxStalledCount: number;
  };
  schedules: { resetUsage: string; reportOverage: string; reconcileUsage: string; publishAlerts: string };
  stripe: {
    secretKey?: string;
    apiBase?: string;
    webhookSecret?: string;
    usageApi: 'meter_events' | 'usage_records';
    breakerThreshold: number;
    breakerOpenMs: number;
    maxRequestsPerSecond: number;
    maxAttempts: number;
    concurrency: number;
    timeoutMs: number;
  };
  shutdownTimeoutMs: number;
  demo: boolean;
}
