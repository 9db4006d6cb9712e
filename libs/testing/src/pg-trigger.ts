import type { DataSource } from 'typeorm';

export interface RaisingTrigger {
  /** Function and trigger name; unique per test. */
  name: string;
  table: string;
  /** The trigger's event. Default INSERT. */
  on?: 'INSERT' | 'UPDATE';
  /** PL/pgSQL condition on NEW that makes a row fail, e.g. `NEW.resource_id = 'poison'`. */
  when: string;
  /** SQLSTATE raised (e.g. `check_violation`, `57P01`); default P0001 (raise_exception). */
  errcode?: string;
  message: string;
}

/**
 * Runs `work` while Postgres itself refuses rows: a BEFORE trigger raises for rows matching
 * `when`. A real failure inside the statement, not a mock; the trigger is dropped afterwards
 * whatever `work` did.
 */
export async function whileTriggerRaises<T>(db: DataSource, trigger: RaisingTrigger, work: () => Promise<T>): Promise<T> {
  const errcode = trigger.errcode ? ` USING ERRCODE = '${trigger.errcode}'` : '';
  await db.query(`
    CREATE FUNCTION ${trigger.name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF ${trigger.when} THEN RAISE EXCEPTION '${trigger.message}'${errcode}; END IF;
      RETURN NEW;
    END $$`);
  await db.query(`CREATE TRIGGER ${trigger.name} BEFORE ${trigger.on ?? 'INSERT'} ON ${trigger.table} FOR EACH ROW EXECUTE FUNCTION ${trigger.name}()`);
  try {
    return await work();
  } finally {
    await db.query(`DROP TRIGGER ${trigger.name} ON ${trigger.table}; DROP FUNCTION ${trigger.name}()`);
  }
}
