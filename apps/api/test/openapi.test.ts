import { randomUUID } from 'node:crypto';
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Express } from 'express';
import request from 'supertest';
import type { Response } from 'supertest';
import { awayFromMinuteEnd, seedCounter, seedPlan, seedTenant } from '@metering/testing';
import { openApiDocument } from '../src/openapi/openapi.document';
import { deadRedis, tokenFor, useApiHarness } from './support/api-harness';

const api = useApiHarness({ env: { USAGE_RATE_LIMIT_PER_MINUTE: '2', DEV_LOGIN: 'true' } });

type Json = Record<string, unknown>;
const doc = openApiDocument as unknown as Json & { paths: Record<string, Record<string, Json>> };

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ ...(structuredClone(openApiDocument) as object), $id: 'openapi.json' });

const pointer = (...parts: string[]) => parts.map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** Asserts that a real response is documented for its path, method and status, and matches the schema. */
function expectDocumented(res: Response, path: string, method: string): void {
  const operation = doc.paths[path]?.[method] as { responses: Record<string, Json> } | undefined;
  expect(operation).toBeDefined();
  let response = operation!.responses[String(res.status)];
  expect(response).toBeDefined();
  let responsePath = `#/${pointer('paths', path, method, 'responses', String(res.status))}`;
  if (typeof response!.$ref === 'string') {
    responsePath = response!.$ref;
    const name = responsePath.split('/').pop()!;
    response = (doc.components as { responses: Record<string, Json> }).responses[name];
  }
  const mediaType = String(res.headers['content-type']).split(';')[0]!;
  const content = response!.content as Record<string, Json>;
  expect(Object.keys(content)).toContain(mediaType);
  const validate = ajv.compile({ $ref: `openapi.json${responsePath}/content/${pointer(mediaType)}/schema` });
  const valid = validate(res.body);
  if (!valid) throw new Error(`${method.toUpperCase()} ${path} ${res.status}: ${ajv.errorsText(validate.errors)}`);
}

/** Route paths the app actually registered (Express 5 router layers). */
function registeredPaths(app: Express): string[] {
  const found = new Set<string>();
  const walk = (stack: Array<{ route?: { path: string }; handle?: { stack?: unknown[] } }>) => {
    for (const layer of stack) {
      if (layer.route) found.add(layer.route.path);
      else if (layer.handle?.stack) walk(layer.handle.stack as typeof stack);
    }
  };
  walk((app as unknown as { router: { stack: Parameters<typeof walk>[0] } }).router.stack);
  return [...found];
}

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validated = await SwaggerParser.validate(structuredClone(openApiDocument) as never);
    expect((validated as { openapi: string }).openapi).toBe('3.1.0');
  });

  it('is served at /api/openapi.json', async () => {
    const res = await request(api.current.app).get('/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(openApiDocument)));
  });

  it('documents every route the app serves', () => {
    const documented = Object.keys(doc.paths);
    const served = registeredPaths(api.current.app);
    expect(served.length).toBeGreaterThan(5);
    expect(served.filter((path) => !documented.includes(path))).toEqual([]);
    expect(documented).toEqual(expect.arrayContaining(['/api/docs', '/admin/queues']));
  });

  it('every documented operation has examples for its JSON responses', () => {
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries((operation as { responses: Record<string, Json> }).responses)) {
          const content = (response.content ?? {}) as Record<string, Json>;
          for (const [type, media] of Object.entries(content)) {
            if (!type.includes('json') || path === '/api/openapi.json') continue;
            const hasExample = media.example !== undefined || media.examples !== undefined;
            if (!hasExample) throw new Error(`${method} ${path} ${status} ${type} has no example`);
          }
        }
      }
    }
  });
});

describe('real responses match the document', () => {
  let tenantId: string;
  beforeAll(async () => {
    const { db } = api.current;
    const seeded = await seedTenant(db.dataSource, { planId: (await seedPlan(db.dataSource)).id, name: 'Demo tenant' });
    tenantId = seeded.tenantId;
    await seedCounter(db.dataSource, tenantId, 'inbox', seeded.period, 1500);
  });

  it('GET /api/v1/usage: 200, 401, 404, 429', async () => {
    const { app, db } = api.current;
    const token = `Bearer ${tokenFor(tenantId)}`;
    await awayFromMinuteEnd(5); // the limit counts in fixed minutes: every read below in one
    expectDocumented(await request(app).get('/api/v1/usage').set('Authorization', token), '/api/v1/usage', 'get');
    expectDocumented(await request(app).get('/api/v1/usage'), '/api/v1/usage', 'get');
    const { tenantId: noSubscription } = await seedTenant(db.dataSource, { withSubscription: false });
    expectDocumented(
      await request(app).get('/api/v1/usage').set('Authorization', `Bearer ${tokenFor(noSubscription)}`),
      '/api/v1/usage',
      'get',
    );
    await request(app).get('/api/v1/usage').set('Authorization', token);
    const limited = await request(app).get('/api/v1/usage').set('Authorization', token);
    expect(limited.status).toBe(429);
    expectDocumented(limited, '/api/v1/usage', 'get');
  });

  it('POST /api/v1/usage/events: 202, 400, 403, 413, 415, 503', async () => {
    const { app } = api.current;
    const agent = `Bearer ${tokenFor(tenantId, ['agent'])}`;
    const path = '/api/v1/usage/events';
    const event = { agent: 'inbox', action_type: 'email_processed', resource_id: 'msg-openapi' };
    const accepted = await request(app).post(path).set('Authorization', agent).send({ events: [event, { ...event, resource_id: 'msg-2' }] });
    expect(accepted.status).toBe(202);
    expectDocumented(accepted, path, 'post');
    expectDocumented(await request(app).post(path).set('Authorization', agent).send({ ...event, quantity: 0 }), path, 'post');
    expectDocumented(await request(app).post(path).set('Authorization', `Bearer ${tokenFor(tenantId)}`).send(event), path, 'post');
    expectDocumented(
      await request(app).post(path).set('Authorization', agent).set('Content-Type', 'application/json').send('x'.repeat(6 * 1024 * 1024)),
      path,
      'post',
    );
    expectDocumented(await request(app).post(path).set('Authorization', agent).set('Content-Type', 'text/plain').send('x'), path, 'post');
    const dead = await deadRedis();
    try {
      const res = await request(api.current.buildApp({ redis: dead.redis })).post(path).set('Authorization', agent).send(event);
      expect(res.status).toBe(503);
      expectDocumented(res, path, 'post');
    } finally {
      await dead.close();
    }
  });

  it('history, periods, events, check and the ingest 409 of the block policy', async () => {
    const { app, db } = api.current;
    const token = `Bearer ${tokenFor(tenantId, ['user'])}`;
    const range = 'from=2026-11-01T00:00:00Z&to=2026-11-03T00:00:00Z';
    for (const [path, query] of [
      ['/api/v1/usage/history', `${range}&window=hour`],
      ['/api/v1/usage/history', 'from=nope'],
      ['/api/v1/usage/periods', 'limit=2'],
      ['/api/v1/usage/events', 'limit=5'],
      ['/api/v1/usage/events', 'limit=0'],
      ['/api/v1/usage/check', 'agent=inbox&quantity=2'],
      ['/api/v1/usage/check', 'agent=fax'],
    ] as const) {
      expectDocumented(await request(app).get(`${path}?${query}`).set('Authorization', token), path, 'get');
    }
    // An agent may ask the check but not read the history: 403, documented.
    const agentToken = `Bearer ${tokenFor(tenantId, ['agent'])}`;
    const forbidden = await request(app).get(`/api/v1/usage/history?${range}`).set('Authorization', agentToken);
    expect(forbidden.status).toBe(403);
    expectDocumented(forbidden, '/api/v1/usage/history', 'get');
    expect((await request(app).get('/api/v1/usage/check?agent=inbox').set('Authorization', agentToken)).status).toBe(200);
    const plan = await seedPlan(db.dataSource, { limitPolicies: { inbox: 'block' } });
    const blocked = await seedTenant(db.dataSource, { planId: plan.id });
    await seedCounter(db.dataSource, blocked.tenantId, 'inbox', blocked.period, 1000);
    const refused = await request(app)
      .post('/api/v1/usage/events')
      .set('Authorization', `Bearer ${tokenFor(blocked.tenantId, ['agent'])}`)
      .send({ agent: 'inbox', action_type: 'email_processed', resource_id: 'over' });
    expect(refused.status).toBe(409);
    expectDocumented(refused, '/api/v1/usage/events', 'post');
  });

  it('POST /api/v1/admin/usage/corrections: 201, 200, 400, 403, 404, 409, 422', async () => {
    const { app, db } = api.current;
    // A fresh admin tenant per call: the corrections limit is per token tenant and this file allows 2 a minute.
    const admin = () => `Bearer ${tokenFor(randomUUID(), ['admin'])}`;
    const path = '/api/v1/admin/usage/corrections';
    const post = (body: object, auth = admin()) => request(app).post(path).set('Authorization', auth).send(body);
    const seeded = await seedTenant(db.dataSource, { planId: (await seedPlan(db.dataSource)).id });
    await seedCounter(db.dataSource, seeded.tenantId, 'inbox', seeded.period, 3);
    const adjustment = { type: 'adjustment', tenant_id: seeded.tenantId, correction_key: 'doc-1', agent: 'inbox', period_start: seeded.period.start.toISOString(), quantity: -1, reason: 'docs' };
    const responses = [
      await post(adjustment),
      await post(adjustment),
      await post({ ...adjustment, reason: '' }),
      await post(adjustment, `Bearer ${tokenFor(seeded.tenantId, ['user'])}`),
      await post({ type: 'void', tenant_id: seeded.tenantId, correction_key: 'doc-2', idempotency_key: 'none', reason: 'docs' }),
      await post({ ...adjustment, quantity: -2 }),
      await post({ ...adjustment, correction_key: 'doc-3', quantity: -10 }),
    ];
    expect(responses.map((r) => r.status)).toEqual([201, 200, 400, 403, 404, 409, 422]);
    for (const res of responses) expectDocumented(res, path, 'post');
  });

  it('health, dev token and Bull Board responses', async () => {
    const { app } = api.current;
    expectDocumented(await request(app).get('/health/live'), '/health/live', 'get');
    expectDocumented(await request(app).get('/health/ready'), '/health/ready', 'get');
    const dead = await deadRedis();
    try {
      const notReady = await request(api.current.buildApp({ redis: dead.redis })).get('/health/ready');
      expect(notReady.status).toBe(503);
      expectDocumented(notReady, '/health/ready', 'get');
    } finally {
      await dead.close();
    }
    const minted = await request(app).post('/api/v1/dev/token');
    expect(minted.status).toBe(200);
    expectDocumented(minted, '/api/v1/dev/token', 'post');
    expectDocumented(await request(app).post('/api/v1/dev/token').send({ tenant_id: 'nope' }), '/api/v1/dev/token', 'post');
    expectDocumented(await request(app).get('/admin/queues'), '/admin/queues', 'get');
  });
});
