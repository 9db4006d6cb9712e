import type { DataSource } from 'typeorm';

// Any constant works; it only has to be the same in every process of this system.
const MIGRATION_LOCK_KEY = 7_211_426_001;

/**
 * Applies pending migrations while holding a Postgres advisory lock, so several processes
 * starting at once (compose, a scaled deployment) migrate one after another, never together.
 */
export async function runMigrationsWithLock(dataSource: DataSource): Promise<string[]> {
  const lockRunner = dataSource.createQueryRunner();
  await lockRunner.connect();
  try {
    await lockRunner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await lockRunner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lockRunner.release();
  }
}
