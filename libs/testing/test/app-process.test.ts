import { AppProcess, freePort, useTestDatabase, uniqueQueuePrefix } from '@metering/testing';

const db = useTestDatabase(2);

describe('AppProcess', () => {
  it('starts the worker as production does and reports its clean exit code after SIGTERM', async () => {
    const port = await freePort();
    const worker = new AppProcess('worker', {
      env: { DATABASE_URL: db.current.url, WORKER_METRICS_PORT: String(port), QUEUE_PREFIX: uniqueQueuePrefix(), NODE_ENV: 'test', LOG_LEVEL: 'warn' },
      readyUrl: `http://127.0.0.1:${port}/health`,
    });
    await worker.start();
    expect(await worker.stop('SIGTERM')).toBe(0);
  });

  it('kills the whole process group on SIGKILL, leaving nothing listening', async () => {
    const port = await freePort();
    const worker = new AppProcess('worker', {
      env: { DATABASE_URL: db.current.url, WORKER_METRICS_PORT: String(port), QUEUE_PREFIX: uniqueQueuePrefix(), NODE_ENV: 'test', LOG_LEVEL: 'warn' },
      readyUrl: `http://127.0.0.1:${port}/health`,
    });
    await worker.start();
    await worker.kill();
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });
});
