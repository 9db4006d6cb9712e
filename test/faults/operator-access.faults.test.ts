/**
 * Least privilege for operators and no fail-open defaults, attacked over HTTP against API and
 * worker processes started as production starts them: Bull Board writes as operator / basic auth
 * (refused) and as admin (allowed, audited); guessing the basic-auth password (locked out, shared
 * by two API processes); the dev token route with NODE_ENV unset; a production start with
 * published example secrets; metrics on the public port and bind addresses.
 */
import { AppProcess, freePort, useTestDatabase } from '@metering/testing';
import { FaultStack } from './support/fault-stack';
import type { ApiProcess, WorkerProcess } from './support/fault-stack';
import { bearerFor } from './support/http-ingest';
import { listeningAddresses } from './support/listen-address';
import { eventually } from './support/scenario-tenants';
import { recordAttack } from './support/security-report';

const db = useTestDatabase();
const PASSWORD = 'the-operator-password-4711';
const basic = (password: string): string => `Basic ${Buffer.from(`ops:${password}`).toString('base64')}`;
const TENANT = '3f1b2c4d-1111-4222-8333-123456789abc';
let stack: FaultStack;
let api: ApiProcess;
let second: ApiProcess;
let worker: WorkerProcess;

beforeAll(async () => {
  stack = await new FaultStack({
    db: db.current,
    env: { OPERATOR_USERNAME: 'ops', OPERATOR_PASSWORD: PASSWORD, OPERATOR_LOGIN_MAX_FAILURES: '3', OPERATOR_LOCKOUT_SECONDS: '60', IP_RATE_LIMIT_PER_MINUTE: '100000' },
  }).start();
  [api, second, worker] = await Promise.all([stack.startApi(), stack.startApi(), stack.startWorker()]);
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

async function board(method: string, path: string, authorization: string, body?: unknown): Promise<Response> {
  return fetch(`${api.url}/admin/queues/api/queues/usage-events${path}`, {
    method,
    headers: { authorization, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const auditRows = (jobId: string): Promise<Array<Record<string, unknown>>> =>
  db.current.dataSource.query(`SELECT actor, actor_tenant_id, action, queue, job_id, status FROM operator_audit_log WHERE job_id = $1`, [jobId]);

it('refuses Bull Board writes from operator tokens and basic auth, and allows and audits them for admin', async () => {
  // A job far in the future: the worker leaves it alone, so only Bull Board can change it.
  const job = await stack.eventsQueue.add('track-event', { probe: 'bull-board' }, { jobId: 'faults-board-1', delay: 3_600_000 });
  const jobsBefore = await stack.eventsQueue.count();
  const operator = `Bearer ${bearerFor(TENANT, ['operator'])}`;
  const attempts: Array<[string, string, string, unknown?]> = [
    ['operator token removes a queued job', 'PUT', `/${job.id}/clean`],
    ['operator token adds a job (billable usage)', 'POST', '/add', { name: 'track-event', data: { tenant_id: TENANT } }],
    ['operator token empties the queue', 'PUT', '/empty'],
  ];
  for (const [attack, method, path, body] of attempts) {
    const res = await board(method, path, operator, body);
    recordAttack({ attack: `Bull Board: ${attack}`, expected: '403', observed: String(res.status), dataChanged: (await stack.eventsQueue.count()) === jobsBefore && (await job.getState()) === 'delayed' ? 'none' : 'queue changed' });
  }
  const viaBasic = await board('PUT', `/${job.id}/clean`, basic(PASSWORD));
  recordAttack({ attack: 'Bull Board: basic-auth operator removes a queued job', expected: '403', observed: String(viaBasic.status), dataChanged: (await job.getState()) === 'delayed' ? 'none' : 'job removed' });
  expect(await auditRows('faults-board-1')).toEqual([]);

  const admin = `Bearer ${bearerFor(TENANT, ['admin'])}`;
  const removed = await board('PUT', `/${job.id}/clean`, admin);
  expect(removed.status).toBeLessThan(300);
  expect(await stack.eventsQueue.getJob('faults-board-1')).toBeUndefined();
  const rows = await eventually(async () => {
    const found = await auditRows('faults-board-1');
    return found[0]?.status !== null && found;
  }, 10_000, 'audit row completed');
  expect(rows).toEqual([{ actor: 'token:faults-admin', actor_tenant_id: TENANT, action: 'clean', queue: 'usage-events', job_id: 'faults-board-1', status: removed.status }]);
});

it('locks out an IP guessing the basic-auth password, on every API process, even for the right password', async () => {
  const guesses: number[] = [];
  for (const password of ['guess-number-one', 'guess-number-two', 'guess-number-three', 'guess-number-four']) {
    guesses.push((await fetch(`${api.url}/admin/queues`, { headers: { authorization: basic(password) } })).status);
  }
  expect(guesses).toEqual([401, 401, 429, 429]);
  const right = await fetch(`${second.url}/admin/queues`, { headers: { authorization: basic(PASSWORD) } });
  recordAttack({ attack: 'Bull Board: basic-auth guessing, then the right password on another API process', expected: '429', observed: String(right.status), dataChanged: 'none' });
  expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(await right.text()).not.toContain('<html');
});

it('has no dev token route when NODE_ENV is unset, and refuses to start in production with example secrets or DEV_LOGIN', async () => {
  const unset = await stack.startApi({ NODE_ENV: '' });
  const minted = await fetch(`${unset.url}/api/v1/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant_id: TENANT, roles: ['operator'] }) });
  const body = await minted.text();
  recordAttack({ attack: 'POST /api/v1/dev/token with NODE_ENV unset', expected: '404', observed: String(minted.status), dataChanged: body.includes('"token"') ? 'token minted' : 'none' });
  await unset.process.stop();

  const port = await freePort();
  const careless = new AppProcess('api', {
    env: stack.env({
      NODE_ENV: 'production',
      DEV_LOGIN: 'true',
      JWT_SECRET: 'change-me-development-secret-at-least-32-chars',
      OPERATOR_PASSWORD: 'change-me-operator',
      API_PORT: String(port),
      API_METRICS_PORT: '0',
    }),
    readyUrl: `http://127.0.0.1:${port}/health/live`,
    readyTimeoutMs: 60_000,
  });
  const failure = await careless.start().then(() => 'started', (error: Error) => error.message);
  for (const problem of [
    'JWT_ISSUER must be set in production',
    'JWT_AUDIENCE must be set in production',
    'JWT_SECRET is a published example value',
    'OPERATOR_PASSWORD is a published example value',
    'DEV_LOGIN must not be enabled with NODE_ENV=production',
  ]) {
    expect(failure).toContain(problem);
  }
  recordAttack({ attack: 'production start with example secrets, DEV_LOGIN=true, no JWT_ISSUER/AUDIENCE', expected: 'refused to start', observed: failure.includes('failed to start') ? 'refused to start' : failure.slice(0, 80), dataChanged: 'none' });
});

it('serves no metrics on the public port, and binds the metrics ports to loopback', async () => {
  const publicMetrics = await fetch(`${api.url}/metrics`);
  recordAttack({ attack: 'GET /metrics on the public API port', expected: '404', observed: String(publicMetrics.status), dataChanged: 'none' });
  expect((await fetch(`${api.metricsUrl}/metrics`)).status).toBe(200);
  const bound = [new URL(api.metricsUrl).port, new URL(worker.metricsUrl).port].flatMap((port) => listeningAddresses(Number(port)));
  recordAttack({ attack: 'reach the API and worker metrics ports from another interface', expected: 'bound to 127.0.0.1 only', observed: bound.every((a) => a === '127.0.0.1') && bound.length === 2 ? 'bound to 127.0.0.1 only' : `bound to ${bound.join(', ')}`, dataChanged: 'none' });
});
