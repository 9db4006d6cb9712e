import { randomBytes } from 'node:crypto';
import { dropDatabase, ensureDatabase, withDatabase } from '@metering/dev';
import { testConfig, testServerUrl, uniqueQueuePrefix, useTestDatabase } from '@metering/testing';
import { createWorkerRuntime } from '../src/create-worker-runtime';
import { eventually } from './worker-test-kit';

useTestDatabase(1);

describe('worker start-up', () => {
  it('waits for Postgres to answer before consuming, reporting 503 on /health meanwhile', async () => {
    // A database that does not exist yet: every connection attempt fails until it is created.
    const name = `usage_test_${process.env.TEST_RUN_ID}_late_${randomBytes(3).toString('hex')}`;
    const config = testConfig(withDatabase(testServerUrl(), name), { QUEUE_PREFIX: uniqueQueuePrefix(), WORKER_METRICS_PORT: '0' });
    const runtime = createWorkerRuntime({ config, dependencyRetryMs: 100, exit: () => undefined });
    let started = false;
    const starting = runtime.start().then(() => (started = true));
    try {
      const waiting = await eventually(async () => {
        if (!runtime.metricsPort) return undefined;
        const response = await fetch(`http://127.0.0.1:${runtime.metricsPort}/health`);
        return { status: response.status, body: await response.json() };
      });
      expect(waiting).toEqual({ status: 503, body: { status: 'starting', checks: { postgres: 'pending', redis: 'pending' } } });
      expect(started).toBe(false);

      await ensureDatabase(testServerUrl(), name, process.env.TEST_TEMPLATE_DATABASE);
      await starting;
      const ready = await fetch(`http://127.0.0.1:${runtime.metricsPort}/health`);
      expect(ready.status).toBe(200);
    } finally {
      expect(await runtime.stop('test finished')).toBe(0);
      await starting.catch(() => undefined);
      await dropDatabase(testServerUrl(), name);
    }
  });
});
