import { randomBytes } from 'node:crypto';
import { loadConfig } from '@metering/platform';
import type { AppConfig } from '@metering/platform';

/** A unique BullMQ prefix (hash-tagged, as in production) so test files never share queues. */
export function uniqueQueuePrefix(): string {
  return `{test-${randomBytes(4).toString('hex')}}`;
}

/** The validated config a test process would load, pointed at `databaseUrl`, with overrides. */
export function testConfig(databaseUrl: string, overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    DATABASE_URL: databaseUrl,
    QUEUE_PREFIX: uniqueQueuePrefix(),
    ...overrides,
  });
}
