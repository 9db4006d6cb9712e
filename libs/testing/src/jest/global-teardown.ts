import { Client } from 'pg';
import { withDatabase } from '@metering/dev';
import { createRedisConnection, waitForRedis } from '@metering/platform';
import { testRunKeyPattern } from '../test-config';

/** Deletes this run's queues and rate-limit counters (every key under its prefixes). */
async function deleteRunKeys(redisUrl: string, runId: string): Promise<void> {
  const redis = createRedisConnection(redisUrl, 'producer');
  try {
    await waitForRedis(redis);
    const stream = redis.scanStream({ match: testRunKeyPattern(runId), count: 1000 });
    for await (const keys of stream as AsyncIterable<string[]>) if (keys.length > 0) await redis.unlink(...keys);
  } finally {
    redis.disconnect();
  }
}

/**
 * Drops every database this run created (the template and any a crashed file left behind) and
 * deletes its Redis keys, so repeated runs leave nothing behind on a shared Postgres and Redis.
 */
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
  if (process.env.REDIS_URL && runId) {
    await deleteRunKeys(process.env.REDIS_URL, runId).catch((error: unknown) => {
      process.stderr.write(`test teardown: could not delete this run's Redis keys: ${String(error)}\n`);
    });
  }
  await globalThis.__meteringTestServices?.stop();
}
