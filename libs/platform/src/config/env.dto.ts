import {
  IsBooleanString,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';

const CRON = /^(\S+\s+){4}\S+(\s+\S+)?$/;
const URL_OPTIONS = { require_tld: false, require_protocol: true } as const;

/**
 * Every environment variable the system reads, with its rules. Values arrive as strings and are
 * converted before validation; defaults live in `loadConfig`, not here.
 */
export class EnvDto {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV!: string;

  @IsIn(['error', 'warn', 'info', 'http', 'debug', 'silent'])
  LOG_LEVEL!: string;

  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL!: string;

  @IsInt() @Min(1) @Max(200)
  DATABASE_POOL_SIZE!: number;

  @IsString()
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL!: string;

  @IsString() @MinLength(1) @MaxLength(64)
  QUEUE_PREFIX!: string;

  @IsInt() @Min(0) @Max(65535)
  API_PORT!: number;

  @IsInt() @Min(0) @Max(65535)
  WORKER_METRICS_PORT!: number;

  @IsOptional() @IsString() @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET?: string;

  @IsOptional() @IsString() @Matches(/-----BEGIN PUBLIC KEY-----/, { message: 'JWT_PUBLIC_KEY must be a PEM public key' })
  JWT_PUBLIC_KEY?: string;

  @IsOptional() @IsString()
  JWT_ISSUER?: string;

  @IsOptional() @IsString()
  JWT_AUDIENCE?: string;

  @IsString()
  WEB_ORIGIN!: string;

  @IsString()
  TRIAL_LIMITS!: string;

  @IsInt() @Min(1) @Max(35)
  EVENT_MAX_AGE_DAYS!: number;

  @IsInt() @Min(0) @Max(3600)
  EVENT_MAX_FUTURE_SECONDS!: number;

  @IsInt() @Min(1)
  USAGE_RATE_LIMIT_PER_MINUTE!: number;

  @IsInt() @Min(1)
  INGEST_RATE_LIMIT_PER_MINUTE!: number;

  @IsOptional() @IsString() @MinLength(1)
  OPERATOR_USERNAME?: string;

  @IsOptional() @IsString() @MinLength(12, { message: 'OPERATOR_PASSWORD must be at least 12 characters' })
  OPERATOR_PASSWORD?: string;

  @IsInt() @Min(1) @Max(5000)
  WORKER_CONCURRENCY!: number;

  @IsInt() @Min(1) @Max(5000)
  WORKER_BATCH_SIZE!: number;

  @IsInt() @Min(0) @Max(1000)
  WORKER_BATCH_WAIT_MS!: number;

  @IsString()
  WORKER_QUEUES!: string;

  /** How long a worker's lock on an active job lasts without renewal: after a crash, its jobs wait this long. */
  @IsInt() @Min(1000) @Max(600000)
  WORKER_LOCK_DURATION_MS!: number;

  /** How often workers look for jobs whose worker died (lock expired) and put them back in the queue. */
  @IsInt() @Min(500) @Max(600000)
  WORKER_STALLED_INTERVAL_MS!: number;

  /**
   * How many times a job may lose its worker (crash, SIGKILL) before it is failed instead of re-run.
   * Every job is safe to re-run (events are unique per key), and a failed track job is uncounted
   * usage, so this is well above BullMQ's default of 1: with 1, jobs active in two crashes in a row
   * were failed and their events never counted.
   */
  @IsInt() @Min(0) @Max(1000)
  WORKER_MAX_STALLED_COUNT!: number;

  @IsInt() @Min(100) @Max(600000)
  SHUTDOWN_TIMEOUT_MS!: number;

  @Matches(CRON, { message: 'CRON_RESET_USAGE must be a cron pattern' })
  CRON_RESET_USAGE!: string;

  @Matches(CRON, { message: 'CRON_REPORT_OVERAGE must be a cron pattern' })
  CRON_REPORT_OVERAGE!: string;

  @Matches(CRON, { message: 'CRON_RECONCILE_USAGE must be a cron pattern' })
  CRON_RECONCILE_USAGE!: string;

  @Matches(CRON, { message: 'CRON_PUBLISH_ALERTS must be a cron pattern' })
  CRON_PUBLISH_ALERTS!: string;

  @IsOptional() @IsString() @Matches(/^(sk|rk)_/, { message: 'STRIPE_SECRET_KEY must start with sk_ or rk_' })
  STRIPE_SECRET_KEY?: string;

  @IsOptional() @IsUrl(URL_OPTIONS, { message: 'STRIPE_API_BASE must be a URL such as http://127.0.0.1:12111' })
  STRIPE_API_BASE?: string;

  @IsOptional() @IsString() @Matches(/^whsec_/, { message: 'STRIPE_WEBHOOK_SECRET must start with whsec_' })
  STRIPE_WEBHOOK_SECRET?: string;

  @IsIn(['meter_events', 'usage_records'])
  STRIPE_USAGE_API!: string;

  @IsInt() @Min(1) @Max(100)
  STRIPE_BREAKER_THRESHOLD!: number;

  @IsInt() @Min(1000)
  STRIPE_BREAKER_OPEN_MS!: number;

  @IsInt() @Min(1) @Max(1000)
  STRIPE_MAX_REQUESTS_PER_SECOND!: number;

  @IsInt() @Min(1) @Max(100)
  STRIPE_MAX_ATTEMPTS!: number;

  /** Customers reported in parallel (calls for one customer and meter are always one at a time). */
  @IsInt() @Min(1) @Max(1000)
  STRIPE_CONCURRENCY!: number;

  @IsInt() @Min(100) @Max(120000)
  STRIPE_TIMEOUT_MS!: number;

  @IsBooleanString()
  DEMO!: string;
}
