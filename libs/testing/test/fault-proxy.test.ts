import { Client } from 'pg';
import { Redis } from 'ioredis';
import { FaultProxy, testServerUrl } from '@metering/testing';

describe('FaultProxy', () => {
  const pgTarget = new URL(testServerUrl());
  const redisTarget = new URL(process.env.REDIS_URL!);
  let pgProxy: FaultProxy;
  let redisProxy: FaultProxy;

  beforeAll(async () => {
    pgProxy = await new FaultProxy({ target: { host: pgTarget.hostname, port: Number(pgTarget.port || 5432) } }).start();
    redisProxy = await new FaultProxy({ target: { host: redisTarget.hostname, port: Number(redisTarget.port || 6379) } }).start();
  });
  afterAll(async () => {
    await pgProxy.close();
    await redisProxy.close();
  });

  it('passes Postgres traffic, breaks it when cut, and carries it again after restore', async () => {
    const url = pgProxy.url(testServerUrl());
    const client = new Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    expect((await client.query('SELECT 41 + 1 AS answer')).rows[0].answer).toBe(42);

    pgProxy.cut();
    await expect(client.query('SELECT 1')).rejects.toThrow();
    await expect(new Client({ connectionString: url, connectionTimeoutMillis: 1000 }).connect()).rejects.toThrow();

    pgProxy.restore();
    const again = new Client({ connectionString: url });
    await again.connect();
    expect((await again.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    await again.end();
    await client.end().catch(() => undefined);
  });

  it('adds latency without reordering Redis replies', async () => {
    const redis = new Redis(redisProxy.url(process.env.REDIS_URL!), { maxRetriesPerRequest: 1 });
    redisProxy.delay(30);
    try {
      const started = Date.now();
      const replies = await Promise.all([1, 2, 3].map((n) => redis.echo(`m${n}`)));
      expect(replies).toEqual(['m1', 'm2', 'm3']);
      expect(Date.now() - started).toBeGreaterThanOrEqual(30);
    } finally {
      redisProxy.delay(0);
      redis.disconnect();
    }
  });
});
