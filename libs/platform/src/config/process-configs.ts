import type { ConfigOf } from './load-config-sections';
import { loadConfigSections } from './load-config-sections';
import { apiListenSection } from './sections/api-listen.section';
import { apiSection } from './sections/api.section';
import { databaseSection } from './sections/database.section';
import { databaseReadSection } from './sections/database-read.section';
import { demoSection } from './sections/demo.section';
import { devLoginSection } from './sections/dev-login.section';
import { eventRetentionSection } from './sections/event-retention.section';
import { ingestBudgetSection } from './sections/ingest-budget.section';
import { ipLimitSection } from './sections/ip-limit.section';
import { jwtSection } from './sections/jwt.section';
import { operatorSection } from './sections/operator.section';
import { queueSection } from './sections/queue.section';
import { redisSection } from './sections/redis.section';
import { runtimeSection } from './sections/runtime.section';
import { schedulesSection } from './sections/schedules.section';
import { stripeReportingSection } from './sections/stripe-reporting.section';
import { stripeWebhookSection } from './sections/stripe-webhook.section';
import { usageSection } from './sections/usage.section';
import type { UsageRulesConfig } from './sections/usage.section';
import { workerSection } from './sections/worker.section';

/**
 * Which sections each process reads. A process validates its own sections only: the API does not
 * fail on a bad WORKER_CONCURRENCY, the token command needs no DATABASE_URL.
 */
export const API_CONFIG_SECTIONS = [
  runtimeSection,
  databaseSection,
  databaseReadSection,
  redisSection,
  queueSection,
  jwtSection,
  operatorSection,
  apiSection,
  usageSection,
  stripeWebhookSection,
  devLoginSection,
  apiListenSection,
  ipLimitSection,
  ingestBudgetSection,
] as const;

/** The API reads no worker, schedule or Stripe reporting variable; the workers none of the API's. */
export const WORKER_CONFIG_SECTIONS = [
  runtimeSection,
  databaseSection,
  redisSection,
  queueSection,
  usageSection,
  workerSection,
  schedulesSection,
  stripeReportingSection,
  eventRetentionSection,
] as const;

export const DEMO_AGENT_CONFIG_SECTIONS = [runtimeSection, databaseSection, redisSection, queueSection, usageSection, demoSection] as const;

/** `npm run usage -- token`: signs with the API's keys, touches nothing else. */
export const TOKEN_CONFIG_SECTIONS = [runtimeSection, jwtSection] as const;

/** `npm run usage -- report-overage`: the CLI finds Postgres and Redis itself. */
export const OVERAGE_REPORT_CONFIG_SECTIONS = [queueSection, stripeReportingSection, usageSection] as const;

/** The API process (`apps/api/src/main.ts`). */
export type ApiConfig = ConfigOf<typeof API_CONFIG_SECTIONS>;
/** A worker process (`apps/worker/src/main.ts`). */
export type WorkerConfig = ConfigOf<typeof WORKER_CONFIG_SECTIONS>;
/** The demo agent (`scripts/demo-agent.ts`). */
export type DemoAgentConfig = ConfigOf<typeof DEMO_AGENT_CONFIG_SECTIONS>;
/** The CLI's `token` command. */
export type TokenConfig = ConfigOf<typeof TOKEN_CONFIG_SECTIONS>;
/** `npm run usage -- report-overage`. */
export type OverageReportConfig = ConfigOf<typeof OVERAGE_REPORT_CONFIG_SECTIONS>;

/** Loads and validates the API's config once at start-up; throws a ConfigError naming every problem. */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  return loadConfigSections(API_CONFIG_SECTIONS, env);
}

/** Loads and validates a worker's config once at start-up; throws a ConfigError naming every problem. */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return loadConfigSections(WORKER_CONFIG_SECTIONS, env);
}

/** Loads the demo agent's config: its connections, the usage rules and DEMO. */
export function loadDemoAgentConfig(env: NodeJS.ProcessEnv = process.env): DemoAgentConfig {
  return loadConfigSections(DEMO_AGENT_CONFIG_SECTIONS, env);
}

/** Loads what the CLI's `token` command signs with: NODE_ENV and the JWT variables, nothing else. */
export function loadTokenConfig(env: NodeJS.ProcessEnv = process.env): TokenConfig {
  return loadConfigSections(TOKEN_CONFIG_SECTIONS, env);
}

/** Loads what `npm run usage -- report-overage` needs: the queue prefix (shared breaker keys) and Stripe reporting. */
export function loadOverageReportConfig(env: NodeJS.ProcessEnv = process.env): OverageReportConfig {
  return loadConfigSections(OVERAGE_REPORT_CONFIG_SECTIONS, env);
}

/** The usage rules alone (`npm run usage -- usage` shows usage exactly as the API computes it). */
export function loadUsageRulesConfig(env: NodeJS.ProcessEnv = process.env): UsageRulesConfig {
  return loadConfigSections([usageSection], env);
}
