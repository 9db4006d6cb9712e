import { useTestDatabase } from '@metering/testing';

// The run's template database is migrated from empty by the global setup, so this is the schema
// the migrations build; the DataSource carries every entity (createMeteringDataSource).
const db = useTestDatabase(2);

describe('entities and migrations', () => {
  it('describe the same schema: after all migrations the schema builder has nothing to change', async () => {
    const pending = await db.current.dataSource.driver.createSchemaBuilder().log();

    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('give every table exactly one entity', async () => {
    // A partition of usage_events (monthly, or the default one) is part of that entity's table.
    const rows: Array<{ table_name: string }> = await db.current.dataSource.query(
      `SELECT table_name FROM information_schema.tables t
        WHERE table_schema = 'public' AND table_name <> 'typeorm_migrations'
          AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = format('%I.%I', t.table_schema, t.table_name)::regclass
                            AND i.inhparent = 'usage_events'::regclass)
        ORDER BY 1`,
    );
    const entityTables = db.current.dataSource.entityMetadatas.map((metadata) => metadata.tableName).sort();

    expect(entityTables).toEqual(rows.map((row) => row.table_name));
  });
});
