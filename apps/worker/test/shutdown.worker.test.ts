import { spawn } from 'node:child_process';
import path from 'node:path';
import { counterValue, freePort, seedPlan, seedTenant, uniqueQueuePrefix, useTestDatabase } from '@metering/testing';
import { ActionType, AgentType, QUEUES } from '@metering/usage';
import { eventually, startTestWorker } from './worker-test-kit';

const db = useTestDatabase();
const ROOT = path.resolve(__dirname, '../../..');

describe('worker shutdown', () => {
  it('stops taking jobs, finishes the active ones, and reports exit code 0', async () => {
    // A long batch window keeps the job active when stop() is called.
    const w = await startTestWorker(db.current.url, { QUEUE_PREFIX: uniqueQueuePrefix(), WORKER_BATCH_WAIT_MS: '800' });
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id });
    const queue = w.runtime.queues.get(QUEUES.usageEvents)!;
    const { jobIds } = await w.client.track({ tenantId, agent: AgentType.Inbox, actionType: ActionType.EmailProcessed, resourceId: 'm1' });
    await eventually(async () => (await queue.getJob(jobIds[0]!).then((job) => job?.getState())) === 'active');

    const code = await w.runtime.stop('SIGTERM');

    expect(code).toBe(0);
    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(1);
    await expect(fetch(w.metricsUrl('/health'))).rejects.toThrow(); // the metrics server is closed
    await w.close();
  });

  it('runs as a process from apps/worker/src/main.ts, answers /health, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    // tsx, as `npm run start:worker` runs it; signalled directly so the exit code is the worker's own.
    const child = spawn(process.execPath, [require.resolve('tsx/cli'), 'apps/worker/src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: db.current.url, QUEUE_PREFIX: uniqueQueuePrefix(), WORKER_METRICS_PORT: String(port), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await eventually(async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, 45_000);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain('bullmq_queue_jobs{queue="usage-maintenance",state="delayed"}');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(output).toContain('shutdown complete');
  }, 60_000);
});
