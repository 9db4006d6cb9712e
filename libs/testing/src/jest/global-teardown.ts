import { Client } from 'pg';
import { withDatabase } from '@metering/platform';

/** Drops every database this run created (the template and any a crashed file left behind). */
export default async function globalTeardown(): Promise<void> {
  const serverUrl = process.env.TEST_PG_SERVER_URL;
  const runId = process.env.TEST_RUN_ID;
  if (serverUrl && runId) {
    const client = new Client({ connectionString: withDatabase(serverUrl, 'postgres') });
    await client.connect();
    try {
      const { rows } = await client.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE $1`,
        [`usage_test_${runId}_%`],
      );
      for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    } finally {
      await client.end();
    }
  }
  await globalThis.__meteringTestServices?.stop();
}
