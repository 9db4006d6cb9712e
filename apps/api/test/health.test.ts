import request from 'supertest';
import { createMeteringDataSource } from '@metering/billing';
import { deadRedis, useApiHarness } from './support/api-harness';

const api = useApiHarness();

describe('health', () => {
  it('answers liveness with 200', async () => {
    const res = await request(api.current.app).get('/health/live');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('is ready when Postgres and Redis answer', async () => {
    const res = await request(api.current.app).get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', checks: { postgres: 'up', redis: 'up' } });
  });

  it('answers 503 naming Redis when Redis is down', async () => {
    const dead = await deadRedis();
    try {
      const res = await request(api.current.buildApp({ redis: dead.redis })).get('/health/ready');
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 503, detail: 'Not ready: redis unavailable', checks: { postgres: 'up', redis: 'down' } });
    } finally {
      await dead.close();
    }
  });

  it('answers 503 naming Postgres when the database does not answer', async () => {
    // Never initialized: every query fails, as with a database that is down.
    const unreachable = createMeteringDataSource('postgres://postgres@127.0.0.1:1/none', 1);
    const res = await request(api.current.buildApp({ dataSource: unreachable })).get('/health/ready');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ detail: 'Not ready: postgres unavailable', checks: { postgres: 'down', redis: 'up' } });
  });

  it('stops being ready while the process shuts down', async () => {
    const res = await request(api.current.buildApp({ isShuttingDown: () => true })).get('/health/ready');
    expect(res.status).toBe(503);
    expect(res.body.detail).toBe('The process is shutting down');
  });
});
