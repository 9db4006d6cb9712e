import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { AppConfig, PlanLimitsConfig } from './app-config';
import { ENV_DEFAULTS, LOG_LEVEL_DEFAULTS } from './defaults';
import { EnvDto } from './env.dto';

/** Thrown at start-up with every bad or missing variable named, so one run shows all of them. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const INTEGER_KEYS = new Set(
  Object.keys(ENV_DEFAULTS).filter((key) => /^\d+$/.test(ENV_DEFAULTS[key] ?? '')),
);

function withDefaults(env: NodeJS.ProcessEnv): Record<string, string | number | undefined> {
  const merged: Record<string, string | number | undefined> = {};
  for (const [key, value] of Object.entries({ ...ENV_DEFAULTS, ...env })) {
    if (value === undefined || value === '') continue;
    merged[key] = INTEGER_KEYS.has(key) && /^-?\d+$/.test(value) ? Number(value) : value;
  }
  const nodeEnv = String(merged.NODE_ENV ?? 'development');
  merged.LOG_LEVEL ??= LOG_LEVEL_DEFAULTS[nodeEnv] ?? 'info';
  return merged;
}

function parseLimits(raw: string, problems: string[]): PlanLimitsConfig {
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const entries = Object.entries(parsed as Record<string, unknown>);
      if (entries.every(([, v]) => v === null || (Number.isInteger(v) && (v as number) >= 0))) {
        return Object.fromEntries(entries) as PlanLimitsConfig;
      }
    }
  } catch {
    // reported below
  }
  problems.push('TRIAL_LIMITS must be a JSON object of non-negative integers or null');
  return {};
}

/**
 * Reads and validates the environment once. Throws a ConfigError naming every problem.
 * Integer variables given as non-numbers fail validation with the variable's name.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const dto = plainToInstance(EnvDto, withDefaults(env));
  const problems = validateSync(dto, { forbidUnknownValues: false }).flatMap((error) =>
    Object.values(error.constraints ?? {}).map((message) =>
      message.startsWith(error.property) ? message : `${error.property}: ${message}`,
    ),
  );
  const trialLimits = parseLimits(dto.TRIAL_LIMITS ?? '{}', problems);
  if (dto.NODE_ENV === 'production' && dto.OPERATOR_USERNAME && !dto.OPERATOR_PASSWORD) {
    problems.push('OPERATOR_PASSWORD must be set when OPERATOR_USERNAME is set');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const queues = dto.WORKER_QUEUES.trim();
  return {
    env: dto.NODE_ENV as AppConfig['env'],
    logLevel: dto.LOG_LEVEL,
    database: { url: dto.DATABASE_URL, poolSize: dto.DATABASE_POOL_SIZE },
    redis: { url: dto.REDIS_URL },
    queuePrefix: dto.QUEUE_PREFIX,
    api: {
      port: dto.API_PORT,
      webOrigin: dto.WEB_ORIGIN,
      usageRateLimitPerMinute: dto.USAGE_RATE_LIMIT_PER_MINUTE,
      ingestRateLimitPerMinute: dto.INGEST_RATE_LIMIT_PER_MINUTE,
    },
    auth: {
      jwtSecret: dto.JWT_SECRET,
      jwtPublicKey: dto.JWT_PUBLIC_KEY,
      issuer: dto.JWT_ISSUER,
      audience: dto.JWT_AUDIENCE,
      operatorUsername: dto.OPERATOR_USERNAME,
      operatorPassword: dto.OPERATOR_PASSWORD,
    },
    usage: {
      trialLimits,
      eventMaxAgeDays: dto.EVENT_MAX_AGE_DAYS,
      eventMaxFutureSeconds: dto.EVENT_MAX_FUTURE_SECONDS,
    },
    worker: {
      metricsPort: dto.WORKER_METRICS_PORT,
      concurrency: dto.WORKER_CONCURRENCY,
      batchSize: dto.WORKER_BATCH_SIZE,
      batchWaitMs: dto.WORKER_BATCH_WAIT_MS,
      queues: queues === 'all' ? 'all' : queues.split(',').map((q) => q.trim()).filter(Boolean),
      lockDurationMs: dto.WORKER_LOCK_DURATION_MS,
      stalledIntervalMs: dto.WORKER_STALLED_INTERVAL_MS,
      maxStalledCount: dto.WORKER_MAX_STALLED_COUNT,
    },
    schedules: {
      resetUsage: dto.CRON_RESET_USAGE,
      reportOverage: dto.CRON_REPORT_OVERAGE,
      reconcileUsage: dto.CRON_RECONCILE_USAGE,
      publishAlerts: dto.CRON_PUBLISH_ALERTS,
    },
    stripe: {
      secretKey: dto.STRIPE_SECRET_KEY,
      apiBase: dto.STRIPE_API_BASE,
      webhookSecret: dto.STRIPE_WEBHOOK_SECRET,
      usageApi: dto.STRIPE_USAGE_API as AppConfig['stripe']['usageApi'],
      breakerThreshold: dto.STRIPE_BREAKER_THRESHOLD,
      breakerOpenMs: dto.STRIPE_BREAKER_OPEN_MS,
      maxRequestsPerSecond: dto.STRIPE_MAX_REQUESTS_PER_SECOND,
      maxAttempts: dto.STRIPE_MAX_ATTEMPTS,
      concurrency: dto.STRIPE_CONCURRENCY,
      timeoutMs: dto.STRIPE_TIMEOUT_MS,
    },
    shutdownTimeoutMs: dto.SHUTDOWN_TIMEOUT_MS,
    demo: dto.DEMO === 'true' || dto.DEMO === '1',
  };
}
