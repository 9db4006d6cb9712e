import { AppProcess, freePort, useTestDatabase, uniqueQueuePrefix } from '@metering/testing';

const db = useTestDatabase(2);

async function startedWorker(): Promise<{ worker: AppProcess; port: number }> {
  const port = await freePort();
  const worker = new AppProcess('worker', {
    env: { DATABASE_URL: db.current.url, WORKER_METRICS_PORT: String(port), QUEUE_PREFIX: uniqueQueuePrefix(), NODE_ENV: 'test', LOG_LEVEL: 'warn' },
    readyUrl: `http://127.0.0.1:${port}/health`,
  });
  return { worker: await worker.start(), port };
}

describe('AppProcess', () => {
  it('starts the worker as production does and reports its clean exit code after SIGTERM', async () => {
    const { worker } = await startedWorker();
    expect(await worker.stop('SIGTERM')).toBe(0);
  });

  it('kills the whole process group on SIGKILL, leaving nothing listening', async () => {
    const { worker, port } = await startedWorker();
    await worker.kill();
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });
});
