import 'reflect-metadata';
import { DataSource } from 'typeorm';
import type { MixedList, EntitySchema } from 'typeorm';

export interface DataSourceOptions {
  url: string;
  poolSize: number;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations?: MixedList<Function | string>;
  applicationName?: string;
}

/**
 * A Postgres DataSource (not yet initialized). Schema changes only through migrations:
 * `synchronize` is always off.
 */
export function createDataSource(options: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities: options.entities,
    migrations: options.migrations ?? [],
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    poolSize: options.poolSize,
    applicationName: options.applicationName ?? 'usage-metering',
    extra: { connectionTimeoutMillis: 5000, idleTimeoutMillis: 30000 },
  });
}

/**
 * Runs a hot statement as a named prepared statement on the DataSource's own pg pool: each
 * connection parses and plans it once instead of on every call (TypeORM's `query` cannot name
 * statements). Errors are pg's own, with their SQLSTATE `code`. Needs session-level connections:
 * behind a transaction-mode pooler (pgbouncer) use `query` instead.
 */
export async function preparedQuery<T>(dataSource: DataSource, name: string, text: string, values: unknown[]): Promise<T[]> {
  const pool = (dataSource.driver as unknown as { master?: { query(config: object): Promise<{ rows: T[] }> } }).master;
  if (!pool) throw new Error('preparedQuery needs an initialized postgres DataSource');
  return (await pool.query({ name, text, values })).rows;
}
