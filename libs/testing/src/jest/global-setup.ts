import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createMeteringDataSource } from '@metering/billing';
import { ensureDatabase, resolveRuntimeServices, withDatabase } from '@metering/dev';
import type { RuntimeServices } from '@metering/dev';
import { runMigrationsWithLock } from '@metering/platform';

declare global {
  var __meteringTestServices: RuntimeServices | undefined;
}

/**
 * Once per `jest` run: find Postgres and Redis as `npm start` does, create a template database
 * for this run and migrate it. Each test file then clones its own database from the template
 * (see useTestDatabase), so files run in parallel without touching each other's rows.
 */
export default async function globalSetup(): Promise<void> {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const template = `usage_test_${runId}_template`;
  const services = await resolveRuntimeServices({
    env: process.env,
    dataRoot: path.resolve(__dirname, '../../../../.data'),
    databaseName: template,
  });
  const serverUrl = withDatabase(services.databaseUrl, 'postgres');
  if (process.env.DATABASE_URL) {
    // DATABASE_URL names a server for tests; never run them in the database it names.
    await ensureDatabase(serverUrl, template);
  }
  const dataSource = createMeteringDataSource(withDatabase(serverUrl, template), 2, 'usage-test-setup');
  await dataSource.initialize();
  await runMigrationsWithLock(dataSource);
  await dataSource.destroy();

  globalThis.__meteringTestServices = services;
  Object.assign(process.env, {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    TEST_RUN_ID: runId,
    TEST_PG_SERVER_URL: serverUrl,
    TEST_TEMPLATE_DATABASE: template,
    REDIS_URL: services.redisUrl,
    JWT_SECRET: 'test-secret-that-is-at-least-32-characters-long',
  });
  // Tests get their database from useTestDatabase(); nothing may fall back to a shared one.
  delete process.env.DATABASE_URL;
}
