import { runMigrationsWithLock } from '@metering/platform';
import type { CliCommand } from '../cli-command';

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'Apply every pending migration',
  usage: 'migrate',
  options: {},
  async run(_options, context) {
    const dataSource = await context.dataSource();
    const names = await runMigrationsWithLock(dataSource);
    return {
      text: names.length > 0 ? `Applied: ${names.join(', ')}` : 'Database is up to date',
      json: { applied: names },
    };
  },
};

export const migrateRevertCommand: CliCommand = {
  name: 'migrate:revert',
  summary: 'Revert the most recent migration',
  usage: 'migrate:revert',
  options: {},
  async run(_options, context) {
    const dataSource = await context.dataSource();
    const before = await dataSource.query(`SELECT name FROM typeorm_migrations ORDER BY id DESC LIMIT 1`).catch(() => []);
    await dataSource.undoLastMigration({ transaction: 'each' });
    const reverted = (before as Array<{ name: string }>)[0]?.name ?? null;
    return { text: reverted ? `Reverted: ${reverted}` : 'Nothing to revert', json: { reverted } };
  },
};
