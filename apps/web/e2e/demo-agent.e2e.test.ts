/**
 * The demo agent process (`npm start` runs it with demo on): seeds the demo tenant on an empty
 * database, its events are counted by the real worker, it stops cleanly on SIGTERM, and a restart
 * reuses the tenant instead of seeding a second one.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { counterValue, uniqueQueuePrefix, useTestDatabase } from '@metering/testing';
import { freePort, startNpmScript, stopApp, waitForHttpOk } from './support/app-process';
import type { AppProcess } from './support/app-process';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../../..');
const db = useTestDatabase();
const queuePrefix = uniqueQueuePrefix();
let worker: AppProcess | undefined;
let env: NodeJS.ProcessEnv = {};

interface DemoAgent {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

// `node --import tsx` as in the Docker images: one process, so SIGTERM reaches the agent itself.
function startDemoAgent(): DemoAgent {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo-agent.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (data: Buffer) => (output += data.toString()));
  child.stderr!.on('data', (data: Buffer) => (output += data.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, agent: DemoAgent): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline || agent.child.exitCode !== null) throw new Error(`${what}: last ${String(value)}\n${agent.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function demoTenantIds(): Promise<string[]> {
  const rows: Array<{ id: string }> = await db.current.dataSource.query(`SELECT id FROM tenants WHERE name = 'Demo tenant'`);
  return rows.map((row) => row.id);
}

beforeAll(async () => {
  const workerPort = await freePort();
  env = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: db.current.url,
    QUEUE_PREFIX: queuePrefix,
    WORKER_METRICS_PORT: String(workerPort),
    DEMO_TICK_MS: '200',
  };
  worker = startNpmScript('worker', 'start:worker', ROOT, env);
  await waitForHttpOk(worker, `http://127.0.0.1:${workerPort}/health/ready`);
});

afterAll(async () => {
  await stopApp(worker);
});

it('seeds the demo tenant once, keeps its counters moving, and stops cleanly on SIGTERM', async () => {
  const first = startDemoAgent();
  try {
    const [tenantId] = await waitFor('demo tenant seeded', demoTenantIds, (ids) => ids.length === 1, first);
    // The starting usage (700 emails) and then the simulated traffic on top of it.
    await waitFor('events counted', () => counterValue(db.current.dataSource, tenantId!, 'inbox'), (count) => count > 700, first);
    const [plan]: Array<{ code: string; status: string }> = await db.current.dataSource.query(
      `SELECT p.code, s.status FROM subscriptions s JOIN plans p ON p.id = s.plan_id WHERE s.tenant_id = $1`,
      [tenantId],
    );
    expect(plan).toEqual({ code: 'demo', status: 'active' });
  } finally {
    first.child.kill('SIGTERM');
  }
  expect(await first.exited).toBe(0);
  expect(first.output()).toContain('shutdown complete');

  const second = startDemoAgent();
  try {
    await waitFor('restart reuses the tenant', async () => second.output(), (out) => out.includes('demo agent running'), second);
    expect(second.output()).toContain('reusing the demo tenant');
    expect(await demoTenantIds()).toHaveLength(1);
  } finally {
    second.child.kill('SIGTERM');
  }
  expect(await second.exited).toBe(0);
});
