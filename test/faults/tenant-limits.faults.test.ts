/**
 * One tenant cannot hurt the rest, and nobody without credentials gets far, attacked over HTTP
 * against API and worker processes started as production starts them: a tenant floods ingest
 * (events and bytes) while another's events still get through and are counted; Redis near its
 * maxmemory sheds ingest with 503; one address sends refused credentials and anonymous requests
 * until it is refused before authentication; and the roles matrix of usage read and ingest.
 */
import { Queue } from 'bullmq';
import { awayFromMinuteEnd, uniqueQueuePrefix, useTestDatabase } from '@metering/testing';
import { QUEUES } from '@metering/usage';
import type { TrackEventInput } from '@metering/usage';
import { recordScenario } from './support/fault-report';
import { FaultStack } from './support/fault-stack';
import type { ApiProcess } from './support/fault-stack';
import { bearerFor, sendOverHttp } from './support/http-ingest';
import { AckLog, checkLedger, waitForDrain } from './support/ledger-check';
import { startOwnRedis } from './support/own-redis';
import { eventually, seedScenarioTenants } from './support/scenario-tenants';
import { recordAttack } from './support/security-report';
import { usageWorkload, wireBody } from './support/workload';

const db = useTestDatabase();
const EVENTS_PER_MINUTE = 2000;
let stack: FaultStack;
let api: ApiProcess;

beforeAll(async () => {
  stack = await new FaultStack({
    db: db.current,
    env: { INGEST_EVENTS_PER_MINUTE: String(EVENTS_PER_MINUTE), INGEST_BYTES_PER_MINUTE: String(5 * 1024 * 1024), IP_RATE_LIMIT_PER_MINUTE: '100000' },
  }).start();
  [api] = await Promise.all([stack.startApi(), stack.startWorker()]);
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

const post = (url: string, token: string, body: unknown): Promise<Response> =>
  fetch(`${url}/api/v1/usage/events`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

it("limits a flooding tenant to its budget while another tenant's events get through and are counted", async () => {
  const [flooder, victim, heavy] = (await seedScenarioTenants(db.current.dataSource, 3)) as [string, string, string];
  await awayFromMinuteEnd(40);
  const acks = new AckLog();
  const flood = usageWorkload({ tenantIds: [flooder], total: 6_000, seed: 16, label: 'flood' });
  const quiet = usageWorkload({ tenantIds: [victim], total: 300, seed: 17, label: 'quiet' });
  // Few events, many bytes: 3 bodies of ~2 MB against a 5 MB budget.
  const bulky: TrackEventInput[] = usageWorkload({ tenantIds: [heavy], total: 1_500, seed: 18, label: 'bulky' }).map((event) => ({
    ...event,
    metadata: { note: 'x'.repeat(3_900) },
  }));
  const [floodTally, quietTally, bulkyTally] = await Promise.all([
    sendOverHttp({ urls: [api.url], events: flood, acks, batchSize: 100, inFlight: 8 }),
    sendOverHttp({ urls: [api.url], events: quiet, acks, batchSize: 30, inFlight: 1, pauseMs: 50 }),
    sendOverHttp({ urls: [api.url], events: bulky, acks, batchSize: 500, inFlight: 1 }),
  ]);

  const refused = await post(api.url, bearerFor(flooder), wireBody(flood.slice(0, 1)));
  expect(refused.status).toBe(429);
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
  expect(((await refused.json()) as { detail: string }).detail).toContain(`${EVENTS_PER_MINUTE} events`);

  expect(quietTally).toEqual({ 202: 10 });
  expect(await waitForDrain(stack.eventsQueue)).toBe(0);
  const outcome = await checkLedger(db.current.dataSource, acks, [flooder, victim, heavy]);
  recordScenario('one tenant floods, the others still counted', outcome);
  const counted = async (tenantId: string): Promise<number> =>
    Number((await db.current.dataSource.query('SELECT coalesce(sum(count), 0)::int AS n FROM usage_counters WHERE tenant_id = $1', [tenantId]))[0].n);
  expect(await counted(victim)).toBe(300);
  recordAttack({
    attack: 'one tenant floods ingest (6,000 events in 60 requests, budget 2,000/min)',
    expected: '429 + Retry-After past the budget; other tenants 202',
    observed: floodTally[202] === EVENTS_PER_MINUTE / 100 && floodTally[429] === 40 && quietTally[202] === 10 ? '429 + Retry-After past the budget; other tenants 202' : `flooder ${JSON.stringify(floodTally)}, other ${JSON.stringify(quietTally)}`,
    dataChanged: (await counted(flooder)) === EVENTS_PER_MINUTE ? 'none' : `flooder counted ${await counted(flooder)}`,
  });
  recordAttack({
    attack: 'one tenant sends 6 MB in 3 requests (budget 5 MB/min)',
    expected: '202, 202, 429',
    observed: bulkyTally[202] === 2 && bulkyTally[429] === 1 ? '202, 202, 429' : JSON.stringify(bulkyTally),
    dataChanged: (await counted(heavy)) === 1_000 ? 'none' : `counted ${await counted(heavy)}`,
  });
});

it('sheds ingest with 503 + Retry-After while Redis is near maxmemory, and resumes after', async () => {
  const redis = await startOwnRedis('64mb');
  try {
    const prefix = uniqueQueuePrefix();
    const guarded = await stack.startApi({ REDIS_URL: redis.url, QUEUE_PREFIX: prefix, REDIS_MEMORY_SHED_PERCENT: '50', REDIS_MEMORY_SAMPLE_MS: '200' });
    const queue = new Queue(QUEUES.usageEvents, { connection: redis.client, prefix });
    const [tenantId] = (await seedScenarioTenants(db.current.dataSource, 1)) as [string];
    const event = { agent: 'inbox', action_type: 'email_processed', resource_id: 'shed-1', idempotency_key: 'shed-1' };
    try {
      const chunk = 'x'.repeat(1024 * 1024);
      for (let i = 0; i < 40; i++) await redis.client.set(`junk:${i}`, chunk);
      // Wait until the guard has sampled the full Redis (its own gauge says so), then send once:
      // a request sent before the sample would be accepted, and its job would be data changed.
      await eventually(async () => {
        const metrics = await (await fetch(`${guarded.metricsUrl}/metrics`)).text();
        const ratio = Number(/^redis_memory_used_ratio (\S+)$/m.exec(metrics)?.[1] ?? 0);
        return ratio >= 0.5;
      }, 10_000, 'the guard sees Redis at 50%');
      const shed = await post(guarded.url, bearerFor(tenantId), event);
      recordAttack({
        attack: 'fill Redis to 60% of maxmemory, then ingest (shed from 50%)',
        expected: '503 + Retry-After',
        observed: shed.status === 503 && Number(shed.headers.get('retry-after')) > 0 ? '503 + Retry-After' : String(shed.status),
        dataChanged: (await queue.count()) === 0 ? 'none' : 'job enqueued',
      });
      await redis.client.del(...Array.from({ length: 40 }, (_, i) => `junk:${i}`));
      await eventually(async () => (await post(guarded.url, bearerFor(tenantId), event)).status === 202, 10_000, 'ingest resumed');
      expect(await queue.count()).toBe(1);
    } finally {
      await queue.close();
      await guarded.process.stop();
    }
  } finally {
    await redis.stop();
  }
});

it('refuses an address that keeps sending bad credentials, before authentication, on every route', async () => {
  const limited = await stack.startApi({
    QUEUE_PREFIX: uniqueQueuePrefix(),
    IP_RATE_LIMIT_PER_MINUTE: '20',
    OPERATOR_USERNAME: 'ops',
    OPERATOR_PASSWORD: 'the-operator-password-4711',
    OPERATOR_LOGIN_MAX_FAILURES: '1000',
  });
  try {
    const [tenantId] = (await seedScenarioTenants(db.current.dataSource, 1)) as [string];
    await awayFromMinuteEnd();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const wrong = `Basic ${Buffer.from(`ops:wrong-password-${i}`).toString('base64')}`;
      statuses.push((await fetch(`${limited.url}/admin/queues`, { headers: { authorization: wrong } })).status);
    }
    for (let i = 0; i < 12; i++) {
      statuses.push((await fetch(`${limited.url}/api/v1/usage`, { headers: { authorization: `Bearer not-a-token-${i}` } })).status);
    }
    const firstRefusal = statuses.indexOf(429);
    // A run of 401s, then only 429s (a few anonymous readiness probes may have counted first).
    expect(firstRefusal).toBeGreaterThan(15);
    expect(statuses.slice(0, firstRefusal).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(firstRefusal).every((status) => status === 429)).toBe(true);
    const valid = await fetch(`${limited.url}/api/v1/usage`, { headers: { authorization: `Bearer ${bearerFor(tenantId, ['user'])}` } });
    const anonymous = await fetch(`${limited.url}/health/ready`);
    recordAttack({
      attack: '24 failed logins (Bull Board basic auth, bad tokens) from one IP, limit 20/min',
      expected: '401 until the limit, then 429 + Retry-After on every route, valid token included',
      observed:
        valid.status === 429 && anonymous.status === 429 && Number(valid.headers.get('retry-after')) > 0
          ? '401 until the limit, then 429 + Retry-After on every route, valid token included'
          : `valid token ${valid.status}, anonymous ${anonymous.status}`,
      dataChanged: 'none',
    });
  } finally {
    await limited.process.stop();
  }
});

it('lets only user, service and admin read usage, and only agent and service ingest', async () => {
  const [tenantId] = (await seedScenarioTenants(db.current.dataSource, 1)) as [string];
  const read = async (roles: string[]) => (await fetch(`${api.url}/api/v1/usage`, { headers: { authorization: `Bearer ${bearerFor(tenantId, roles)}` } })).status;
  const ingest = async (roles: string[]) =>
    (await post(api.url, bearerFor(tenantId, roles), { agent: 'inbox', action_type: 'email_processed', resource_id: `roles-${roles.join('-')}` })).status;
  const matrix: Record<string, [number, number]> = {};
  for (const roles of [[], ['user'], ['agent'], ['service'], ['operator'], ['admin']]) {
    matrix[roles.join('+') || 'no role'] = [await read(roles), await ingest(roles)];
  }
  const expected = { 'no role': [403, 403], user: [200, 403], agent: [403, 202], service: [200, 202], operator: [403, 403], admin: [200, 403] };
  expect(await waitForDrain(stack.eventsQueue)).toBe(0);
  const [{ n }] = await db.current.dataSource.query('SELECT count(*)::int AS n FROM usage_events WHERE tenant_id = $1', [tenantId]);
  const summary = 'read: user, service, admin 200, others 403; ingest: agent, service 202, others 403';
  recordAttack({
    attack: 'usage read and ingest with tokens of no role, user, agent, service, operator, admin',
    expected: summary,
    observed: JSON.stringify(matrix) === JSON.stringify(expected) ? summary : JSON.stringify(matrix),
    dataChanged: n === 2 ? 'none' : `${n} events stored (2 expected: agent, service)`,
  });
});
