import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createMeteringDataSource } from '@metering/billing';
import { dropDatabase, withDatabase } from '@metering/dev';

export interface TestDatabase {
  name: string;
  url: string;
  dataSource: DataSource;
}

function serverUrl(): string {
  const url = process.env.TEST_PG_SERVER_URL;
  if (!url) throw new Error('TEST_PG_SERVER_URL is not set: run tests through jest (npm test)');
  return url;
}

/** Creates a fresh, migrated database for one test file (a copy of the run's template). */
export async function createTestDatabase(poolSize = 10): Promise<TestDatabase> {
  const name = `usage_test_${process.env.TEST_RUN_ID}_${randomBytes(4).toString('hex')}`;
  const client = new Client({ connectionString: withDatabase(serverUrl(), 'postgres') });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name} TEMPLATE ${process.env.TEST_TEMPLATE_DATABASE}`);
  } finally {
    await client.end();
  }
  const url = withDatabase(serverUrl(), name);
  const dataSource = createMeteringDataSource(url, poolSize, 'usage-test');
  await dataSource.initialize();
  return { name, url, dataSource };
}

export async function destroyTestDatabase(db: TestDatabase | undefined): Promise<void> {
  if (!db) return;
  if (db.dataSource.isInitialized) await db.dataSource.destroy();
  await dropDatabase(serverUrl(), db.name);
}

/**
 * Registers beforeAll/afterAll hooks for a file-scoped database; read `.current` inside tests.
 */
export function useTestDatabase(poolSize = 10): { readonly current: TestDatabase } {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await createTestDatabase(poolSize);
  });
  afterAll(async () => {
    await destroyTestDatabase(db);
  });
  return {
    get current(): TestDatabase {
      if (!db) throw new Error('test database is not ready (use it inside a test or hook)');
      return db;
    },
  };
}

/** A server URL for tests that manage databases themselves (e.g. migration tests). */
export function testServerUrl(): string {
  return serverUrl();
}
