import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createUsageClient, occurredAtWindow } from '@metering/usage';
import type { TrackEventJobData, TrackEventsJobData } from '@metering/usage';
import { seedPlan, seedTenant } from '@metering/testing';
import { deadRedis, tokenFor, useApiHarness, wireEvent } from './support/api-harness';

const api = useApiHarness();

let tenantId: string;
let agentToken: string;
beforeAll(async () => {
  const { db } = api.current;
  ({ tenantId } = await seedTenant(db.dataSource, { planId: (await seedPlan(db.dataSource)).id }));
  agentToken = tokenFor(tenantId, ['agent']);
});

beforeEach(async () => {
  await api.current.eventsQueue.drain(true);
});

const event = wireEvent;

const post = (body: unknown, token = agentToken) =>
  request(api.current.app).post('/api/v1/usage/events').set('Authorization', `Bearer ${token}`).send(body as object);

async function enqueuedJobs(): Promise<Array<{ name: string; data: TrackEventJobData | TrackEventsJobData }>> {
  const jobs = await api.current.eventsQueue.getJobs(['waiting', 'prioritized', 'delayed']);
  return jobs.map((job) => ({ name: job.name, data: job.data as TrackEventJobData | TrackEventsJobData }));
}

describe('POST /api/v1/usage/events', () => {
  it('accepts one event with 202 and enqueues it for the token tenant', async () => {
    const res = await post(event({ resource_id: 'msg-1', idempotency_key: 'msg-1', quantity: 3 }));

    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: 1 });
    const jobs = await enqueuedJobs();
    expect(jobs).toHaveLength(1);
    const data = jobs[0]!.data as TrackEventJobData;
    expect(jobs[0]!.name).toBe('track-event');
    expect(data.tenant_id).toBe(tenantId);
    expect(data.event).toMatchObject({ agent: 'inbox', resource_id: 'msg-1', idempotency_key: 'msg-1', quantity: 3 });
  });

  it('accepts a batch and enqueues every event in one job', async () => {
    const events = [event(), event({ agent: 'invoice', action_type: 'invoice_detected' }), event({ agent: 'meeting', action_type: 'meeting_prep' })];

    const res = await post({ events });

    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: 3 });
    const jobs = await enqueuedJobs();
    expect(jobs).toHaveLength(1);
    const data = jobs[0]!.data as TrackEventsJobData;
    expect(data.events.map((item) => item.event.resource_id)).toEqual(events.map((item) => item.resource_id));
    expect(new Set(data.events.map((item) => item.tenant_id))).toEqual(new Set([tenantId]));
  });

  it.each([
    ['quantity 0', event({ quantity: 0 }), 'quantity'],
    ['quantity above 1,000,000', event({ quantity: 1_000_001 }), 'quantity'],
    ['fractional quantity', event({ quantity: 1.5 }), 'quantity'],
    ['unknown agent', event({ agent: 'robot' }), 'agent'],
    ['action of another agent', event({ action_type: 'invoice_detected' }), 'action_type'],
    ['missing resource_id', { agent: 'inbox', action_type: 'email_processed' }, 'resource_id'],
    ['idempotency_key over 200 chars', event({ idempotency_key: 'k'.repeat(201) }), 'idempotency_key'],
    ['occurred_at not a date', event({ occurred_at: 'yesterday' }), 'occurred_at'],
    ['occurred_at too old', event({ occurred_at: '2001-01-01T00:00:00Z' }), 'occurred_at'],
    ['metadata over 4 KB', event({ metadata: { note: 'x'.repeat(5000) } }), 'metadata'],
    ['metadata not an object', event({ metadata: 'text' }), 'metadata'],
    ['tenant_id in the body', { ...event(), tenant_id: randomUUID() }, 'tenant_id'],
    ['tenant_id next to events', { tenant_id: randomUUID(), events: [event()] }, 'tenant_id'],
    ['events not an array', { events: 'many' }, 'events'],
    ['empty events', { events: [] }, 'events'],
    ['a JSON array body', [event()], 'body'],
  ])('rejects %s with 400 naming the field, and enqueues nothing', async (_case, body, field) => {
    const res = await post(body);

    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, message: expect.any(String) })]));
    expect(await enqueuedJobs()).toEqual([]);
  });

  it('names the exact item of a batch and enqueues none of the valid ones', async () => {
    const events = [event(), event(), event(), event({ quantity: -1 }), event(), event({ agent: 'robot' })];

    const res = await post({ events });

    expect(res.status).toBe(400);
    expect(res.body.errors.map((error: { field: string }) => error.field)).toEqual(
      expect.arrayContaining(['events[3].quantity', 'events[5].agent']),
    );
    expect(await enqueuedJobs()).toEqual([]);
  });

  it('rejects more than 1,000 events', async () => {
    const res = await post({ events: Array.from({ length: 1001 }, () => event()) });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('events');
    expect(await enqueuedJobs()).toEqual([]);
  });

  it('answers malformed JSON with a 400 problem', async () => {
    const res = await request(api.current.app)
      .post('/api/v1/usage/events')
      .set('Authorization', `Bearer ${agentToken}`)
      .set('Content-Type', 'application/json')
      .send('{"agent": "inbox",');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual([{ field: 'body', message: 'body must be valid JSON' }]);
  });

  it('answers a body over the limit with a 413 problem', async () => {
    const res = await request(api.current.app)
      .post('/api/v1/usage/events')
      .set('Authorization', `Bearer ${agentToken}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ events: [event({ metadata: { blob: 'x'.repeat(6 * 1024 * 1024) } })] }));
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await enqueuedJobs()).toEqual([]);
  });

  it('answers a body that is not JSON with a 415 problem', async () => {
    const res = await request(api.current.app)
      .post('/api/v1/usage/events')
      .set('Authorization', `Bearer ${agentToken}`)
      .set('Content-Type', 'text/plain')
      .send('agent=inbox');
    expect(res.status).toBe(415);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('answers 503 at once when Redis is unreachable', async () => {
    // BullMQ prints each refused connection of the client's internal queue; keep the output readable.
    const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const dead = await deadRedis();
    const usageClient = createUsageClient({ redis: dead.redis, prefix: api.current.prefix, window: occurredAtWindow(api.current.config.usage) });
    try {
      const app = api.current.buildApp({ redis: dead.redis, usageClient });
      const res = await request(app).post('/api/v1/usage/events').set('Authorization', `Bearer ${agentToken}`).send(event());
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['retry-after']).toBe('5');
    } finally {
      await usageClient.close().catch(() => undefined);
      await dead.close();
      quiet.mockRestore();
    }
  });

  it('answers 503 without acknowledging when no replica confirms the enqueue, and a retry is absorbed by the job id', async () => {
    // The test Redis has no replica, so WAIT 1 confirms nothing: as a cluster master just failed over.
    const usageClient = createUsageClient({
      redis: api.current.redis,
      prefix: api.current.prefix,
      window: occurredAtWindow(api.current.config.usage),
      replicaAck: { replicas: 1, timeoutMs: 20 },
    });
    try {
      const app = api.current.buildApp({ usageClient });
      const body = event({ resource_id: 'unreplicated-1', idempotency_key: 'unreplicated-1' });
      const send = () => request(app).post('/api/v1/usage/events').set('Authorization', `Bearer ${agentToken}`).send(body);
      const first = await send();
      expect(first.status).toBe(503);
      expect(first.headers['retry-after']).toBe('1');
      expect(first.body.detail).toBe('The event queue did not confirm a replicated copy in time; retry the request with the same idempotency keys');
      expect((await send()).status).toBe(503);
      // The master holds the job once: the retries reused its id.
      expect((await enqueuedJobs()).map((job) => (job.data as TrackEventJobData).event.idempotency_key)).toEqual(['unreplicated-1']);
    } finally {
      await usageClient.close();
    }
  });
});
