import type { DataSource } from 'typeorm';
import { createDataSource } from '@metering/platform';
import { MIGRATIONS } from '@metering/migrations';
import { USAGE_ENTITIES } from '@metering/usage';
import { BILLING_ENTITIES } from '../entities';

/**
 * Every table's entity. Composed here because libs/billing is the one lib that sees both its own
 * entities and libs/usage's (billing depends on usage, never the other way round).
 */
export const METERING_ENTITIES = [...USAGE_ENTITIES, ...BILLING_ENTITIES];

/**
 * The system's DataSource (not yet initialized): every entity and every migration. All processes
 * (API, worker, CLI, `npm start`, tests, bench) open the database through it; `applicationName`
 * names the process in `pg_stat_activity`.
 */
export function createMeteringDataSource(url: string, poolSize = 10, applicationName?: string): DataSource {
  return createDataSource({ url, poolSize, entities: METERING_ENTITIES, migrations: MIGRATIONS, applicationName });
}
