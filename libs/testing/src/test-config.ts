import { randomBytes } from 'node:crypto';
import { API_CONFIG_SECTIONS, WORKER_CONFIG_SECTIONS, loadConfigSections } from '@metering/platform';
import type { ApiConfig, WorkerConfig } from '@metering/platform';

/**
 * A unique BullMQ prefix (hash-tagged, as in production) so test files never share queues. It
 * names the jest run, whose global teardown deletes every key under it (queues and rate limits).
 */
export function uniqueQueuePrefix(): string {
  return `{test-${process.env.TEST_RUN_ID ?? 'adhoc'}-${randomBytes(4).toString('hex')}}`;
}

/** Matches every Redis key made under a prefix of `uniqueQueuePrefix()` in run `runId`. */
export function testRunKeyPattern(runId: string): string {
  return `*{test-${runId}-*`;
}

/**
 * The validated config a test process would load, pointed at `databaseUrl`, with overrides: the
 * API's and the workers' sections together, so one config drives both in a test.
 */
export function testConfig(databaseUrl: string, overrides: Record<string, string> = {}): ApiConfig & WorkerConfig {
  return loadConfigSections([...API_CONFIG_SECTIONS, ...WORKER_CONFIG_SECTIONS], {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    DATABASE_URL: databaseUrl,
    QUEUE_PREFIX: uniqueQueuePrefix(),
    // The every-minute close job acts on real time; tests that drive a clock of their own would see
    // it roll their periods at a minute boundary. Tests of the close job set the pattern they need.
    CRON_CLOSE_PERIODS: '0 0 1 1 *',
    ...overrides,
  });
}
