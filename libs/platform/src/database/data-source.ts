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
