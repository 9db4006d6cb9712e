import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Router } from 'express';
import request from 'supertest';
import { seedCounter, seedPlan, seedTenant } from '@metering/testing';
import { createExpressServer } from '../src/http/express-server';
import { tokenFor, useApiHarness } from './support/api-harness';

const OPERATOR = { OPERATOR_USERNAME: 'ops', OPERATOR_PASSWORD: 'correct-horse-battery' };
const api = useApiHarness({ env: { ...OPERATOR, USAGE_RATE_LIMIT_PER_MINUTE: '1000', INGEST_RATE_LIMIT_PER_MINUTE: '1000' } });
const basic = `Basic ${Buffer.from(`${OPERATOR.OPERATOR_USERNAME}:${OPERATOR.OPERATOR_PASSWORD}`).toString('base64')}`;

/** What a client sees of an answer, minus what differs per request. */
interface Seen {
  status: number;
  headers: Record<string, string>;
  body: string;
}
const PER_REQUEST = new Set(['date', 'x-request-id', 'ratelimit', 'keep-alive', 'connection']);
function seen(status: number, headers: Record<string, string>, body: string): Seen {
  const kept = Object.fromEntries(Object.entries(headers).filter(([name]) => !PER_REQUEST.has(name.toLowerCase())));
  return { status, headers: kept, body: body.replace(/"request_id":"[^"]+"/, '"request_id":"-"') };
}

describe('createExpressServer (the server main.ts listens with)', () => {
  let server: Server;
  let base: string;
  let tenantId: string;
  let app: ReturnType<typeof api.current.buildApp>;
  // Each request and response as the server hands them to Express (before app.handle runs).
  const born: Array<{ request: boolean; response: boolean }> = [];

  beforeAll(async () => {
    const probe = Router();
    probe.get('/probe', (req, res) => {
      res.json({ path: req.path, query: req.query, ip: typeof req.ip, app: req.app === app });
    });
    app = api.current.buildApp({ extraRouters: [probe] });
    server = createExpressServer(app);
    server.prependListener('request', (req, res) => {
      born.push({ request: Object.getPrototypeOf(req) === app.request, response: Object.getPrototypeOf(res) === app.response });
    });
    server.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const plan = await seedPlan(api.current.db.dataSource, { limitPolicies: { inbox: 'block' } });
    const seeded = await seedTenant(api.current.db.dataSource, { planId: plan.id });
    tenantId = seeded.tenantId;
    await seedCounter(api.current.db.dataSource, tenantId, 'inbox', seeded.period, 998);
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('answers every kind of request exactly as Express on a plain http server does', async () => {
    // One app behind both servers: one rate limit, one cache, so the answers are comparable.
    const user = `Bearer ${tokenFor(tenantId, ['user'])}`;
    const agent = `Bearer ${tokenFor(tenantId, ['agent'])}`;
    const cases: Array<{ method: 'GET' | 'POST' | 'HEAD'; path: string; headers?: Record<string, string>; body?: unknown }> = [
      { method: 'GET', path: '/api/v1/usage', headers: { authorization: user } },
      { method: 'GET', path: '/api/v1/usage/check?agent=inbox&quantity=2', headers: { authorization: agent } },
      { method: 'GET', path: '/api/v1/usage/check?agent=inbox&quantity=3', headers: { authorization: agent } },
      { method: 'GET', path: '/api/v1/usage/check?agent=nope', headers: { authorization: agent } },
      { method: 'GET', path: '/api/v1/usage' },
      { method: 'GET', path: '/api/v1/usage', headers: { authorization: 'Bearer not-a-token' } },
      { method: 'HEAD', path: '/api/v1/usage', headers: { authorization: user } },
      { method: 'POST', path: '/api/v1/usage/events', headers: { authorization: agent, 'content-type': 'application/json' }, body: { agent: 'inbox' } },
      { method: 'GET', path: '/api/v1/no-such-route' },
      { method: 'GET', path: '/health/live' },
      { method: 'GET', path: '/api/docs/openapi.json' },
      { method: 'GET', path: '/admin/queues/api/queues', headers: { authorization: basic } },
      { method: 'GET', path: '/probe?a=1&b=two' },
      { method: 'GET', path: '/api/v1/usage', headers: { authorization: user, origin: api.current.config.api.webOrigin } },
    ];
    for (const c of cases) {
      const viaServer = await fetch(`${base}${c.path}`, {
        method: c.method,
        headers: c.headers,
        body: c.body === undefined ? undefined : JSON.stringify(c.body),
      });
      const mine = seen(viaServer.status, Object.fromEntries(viaServer.headers), await viaServer.text());
      let plain = request(app)[c.method === 'HEAD' ? 'head' : c.method === 'POST' ? 'post' : 'get'](c.path);
      for (const [name, value] of Object.entries(c.headers ?? {})) plain = plain.set(name, value);
      if (c.body !== undefined) plain = plain.send(JSON.stringify(c.body));
      const answer = await plain;
      const theirs = seen(answer.status, answer.headers as Record<string, string>, c.method === 'HEAD' ? '' : answer.text ?? '');
      expect({ case: `${c.method} ${c.path}`, ...mine }).toEqual({ case: `${c.method} ${c.path}`, ...theirs });
    }
    // The routes answered what they should, not merely the same thing twice.
    const usage = await fetch(`${base}/api/v1/usage`, { headers: { authorization: user } });
    expect(usage.status).toBe(200);
    expect(((await usage.json()) as { usage: { inbox: { count: number } } }).usage.inbox.count).toBe(998);
    const refused = await fetch(`${base}/api/v1/usage/check?agent=inbox&quantity=3`, { headers: { authorization: agent } });
    expect(await refused.json()).toMatchObject({ allowed: false, remaining: 2, count: 998 });
  });

  it('hands Express requests and responses born with the app prototypes, also after a mounted sub-app ran', async () => {
    born.length = 0;
    expect(await (await fetch(`${base}/probe`)).json()).toMatchObject({ path: '/probe', app: true });
    expect((await fetch(`${base}/admin/queues`, { headers: { authorization: basic } })).status).toBe(200);
    expect(await (await fetch(`${base}/probe`)).json()).toMatchObject({ path: '/probe', app: true });
    expect(born).toEqual([
      { request: true, response: true },
      { request: true, response: true },
      { request: true, response: true },
    ]);
  });
});
