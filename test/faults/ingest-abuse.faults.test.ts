/**
 * Bad input and abuse, property-based (fast-check), against the API app in this process: hostile
 * bodies for POST /api/v1/usage/events are refused with 400/413 and a clear problem+json message,
 * never a 500, and nothing is enqueued or written; accepted strings come out of Postgres exactly as
 * they went in, after a real worker committed them.
 */
import fc from 'fast-check';
import request from 'supertest';
import { useTestDatabase } from '@metering/testing';
import { bearerFor } from './support/http-ingest';
import { hostileBody, malformedJson, storableText, validEvent } from './support/hostile-events';
import { inProcessApi, jobsEverEnqueued } from './support/in-process-api';
import type { InProcessApi } from './support/in-process-api';
import { eventually, seedScenarioTenants, storedEvents } from './support/scenario-tenants';

const db = useTestDatabase();
let api: InProcessApi;
let tenantId: string;
let token: string;
let sequence = 0;
const nextKey = (): string => `abuse-${(sequence += 1)}`;

beforeAll(async () => {
  // Hundreds of requests a minute from one tenant, by design: limits and budgets are tested elsewhere.
  api = await inProcessApi(db.current, { INGEST_RATE_LIMIT_PER_MINUTE: '1000000', INGEST_EVENTS_PER_MINUTE: '100000000', INGEST_BYTES_PER_MINUTE: '100000000000' });
  [tenantId] = (await seedScenarioTenants(db.current.dataSource, 1)) as [string];
  token = bearerFor(tenantId);
});
afterAll(async () => {
  await api?.close();
});

function post(body: string): request.Test {
  return request(api.app).post('/api/v1/usage/events').set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/json').send(body);
}

/** A refusal as the contract describes it: 400 (fields named) or 413, problem+json, a readable detail. */
function expectClearRefusal(res: request.Response): void {
  expect([400, 413]).toContain(res.status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = JSON.parse(res.text) as { status: number; detail: string; errors?: Array<{ field: string; message: string }> };
  expect(problem.status).toBe(res.status);
  expect(problem.detail.length).toBeGreaterThan(10);
  if (res.status === 400) {
    expect(problem.errors?.length).toBeGreaterThan(0);
    for (const error of problem.errors!) expect(error).toEqual({ field: expect.any(String), message: expect.stringMatching(/\w{3,}/) });
  }
}

describe('POST /api/v1/usage/events with hostile input', () => {
  it('refuses every hostile body with 400/413 and a clear message, enqueues nothing and writes nothing', async () => {
    const jobsBefore = await jobsEverEnqueued(api.eventsQueue);
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileBody(nextKey()).map((body) => JSON.stringify(body)), malformedJson), async (body) => {
        const res = await post(body);
        expectClearRefusal(res);
      }),
      { numRuns: 400 },
    );
    expect(await jobsEverEnqueued(api.eventsQueue)).toBe(jobsBefore);
    expect(await storedEvents(db.current.dataSource, [tenantId])).toBe(0);
  });

  it('refuses a body over 5 MB with 413, and extreme nesting with 400, without a 500', async () => {
    const jobsBefore = await jobsEverEnqueued(api.eventsQueue);
    const huge = JSON.stringify({ events: [{ ...validEvent(nextKey()), metadata: { note: 'x'.repeat(6 * 1024 * 1024) } }] });
    // Built as text: JSON.stringify itself cannot go 100,000 levels deep.
    const deepObject = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    const deepArray = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`;
    const event = JSON.stringify(validEvent(nextKey())).slice(0, -1);

    const tooLarge = await post(huge);
    const deepMetadata = await post(`${event},"metadata":${deepObject}}`);
    const deepEvents = await post(`{"events":${deepArray}}`);

    expect(tooLarge.status).toBe(413);
    expectClearRefusal(tooLarge);
    expectClearRefusal(deepMetadata);
    expectClearRefusal(deepEvents);
    expect(await jobsEverEnqueued(api.eventsQueue)).toBe(jobsBefore);
  });

  it('never lets metadata keys such as __proto__ pollute the process', async () => {
    const bodies = [
      `{"agent":"inbox","action_type":"email_processed","resource_id":"p1","idempotency_key":"${nextKey()}","metadata":{"__proto__":{"polluted":true}}}`,
      `{"agent":"inbox","action_type":"email_processed","resource_id":"p2","idempotency_key":"${nextKey()}","metadata":{"constructor":{"prototype":{"polluted":true}}}}`,
      `{"__proto__":{"polluted":true},"agent":"inbox","action_type":"email_processed","resource_id":"p3"}`,
    ];
    for (const body of bodies) {
      const res = await post(body);
      if (res.status !== 202) expectClearRefusal(res);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('accepted input', () => {
  it('stores accepted strings verbatim: resource ids, idempotency keys and metadata of any Unicode', async () => {
    await api.startWorker();
    const sent: Array<{ key: string; resourceId: string; metadata: Record<string, unknown> }> = [];
    const metadata = fc
      .dictionary(storableText(20), fc.oneof(storableText(60), fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 6 })
      .filter((value) => Buffer.byteLength(JSON.stringify(value)) <= 4096);
    await fc.assert(
      fc.asyncProperty(storableText(255), storableText(150), metadata, async (resourceId, keyText, meta) => {
        const key = `${nextKey()}:${keyText}`;
        const res = await post(JSON.stringify({ agent: 'invoice', action_type: 'invoice_detected', resource_id: resourceId, idempotency_key: key, metadata: meta }));
        expect({ status: res.status, body: res.body }).toEqual({ status: 202, body: { accepted: 1 } });
        sent.push({ key, resourceId, metadata: meta });
      }),
      { numRuns: 150 },
    );

    const rows = await eventually(async () => {
      const found: Array<{ idempotency_key: string; resource_id: string; metadata: Record<string, unknown> }> = await db.current.dataSource.query(
        'SELECT idempotency_key, resource_id, metadata FROM usage_events WHERE tenant_id = $1',
        [tenantId],
      );
      const keys = new Set(found.map((row) => row.idempotency_key));
      return sent.every((event) => keys.has(event.key)) && found;
    }, 60_000, 'every accepted event stored');
    const stored = new Map(rows.map((row) => [row.idempotency_key, row]));
    for (const event of sent) {
      expect(stored.get(event.key)).toEqual({ idempotency_key: event.key, resource_id: event.resourceId, metadata: event.metadata });
    }
    expect(await api.eventsQueue.getFailedCount()).toBe(0);
  });
});
