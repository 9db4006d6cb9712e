/**
 * Auth matrix: every route of the served OpenAPI document (plus Bull Board's JSON API under
 * /admin/queues) x {no token, expired, wrong key, alg none, RS/HS confusion, malformed claims,
 * another tenant's token, missing role}, against the app as production builds it (RS256 from the
 * identity provider, HS256 for internal services). Secured routes answer 401/403 (or only the
 * caller's own data); public routes answer as they do without a token; and no response to anyone
 * but the victim tenant ever contains the victim's data.
 */
import request from 'supertest';
import { seedCounter, seedPlan, seedTenant, useTestDatabase } from '@metering/testing';
import { calendarMonthOf } from '@metering/usage';
import { TEST_AUDIENCE, TEST_ISSUER, claimsFor, confused, hs256, rs256, rsaKeyPair, unsigned } from './support/hostile-tokens';
import { inProcessApi } from './support/in-process-api';
import type { InProcessApi } from './support/in-process-api';

const db = useTestDatabase();
const idp = rsaKeyPair();
const attacker = rsaKeyPair();
const SECRET = process.env.JWT_SECRET!;
let api: InProcessApi;
let victim: { id: string; name: string };
let other: { id: string; name: string };

interface Operation {
  method: 'get' | 'post';
  path: string;
  secured: boolean;
}

/** What a request carries: headers, and for POST the body. */
interface Attempt {
  headers: Record<string, string>;
  body?: Record<string, unknown>;
  query?: Record<string, string>;
}

const ALL_ROLES = ['user', 'agent', 'service'];
const event = { agent: 'inbox', action_type: 'email_processed', resource_id: 'auth-matrix-1', idempotency_key: 'auth-matrix-1' };
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** The hostile cases: each builds an attempt on behalf of the attacker (tenant `other`) or nobody. */
const CASES: Record<string, () => Attempt> = {
  'no token': () => ({ headers: {} }),
  expired: () => ({ headers: bearer(rs256(claimsFor(victim.id, ALL_ROLES, { exp: Math.floor(Date.now() / 1000) - 60 }), idp.privateKey)) }),
  'wrong key (HS256)': () => ({ headers: bearer(hs256(claimsFor(victim.id, ALL_ROLES), 'not-the-secret-but-long-enough-to-look-real')) }),
  'wrong key (RS256)': () => ({ headers: bearer(rs256(claimsFor(victim.id, ALL_ROLES), attacker.privateKey)) }),
  'alg none': () => ({ headers: bearer(unsigned(claimsFor(victim.id, ALL_ROLES))) }),
  'RS/HS confusion': () => ({ headers: bearer(confused(claimsFor(victim.id, ALL_ROLES), idp.publicKey)) }),
  'malformed claims': () => ({ headers: bearer(rs256(claimsFor('not-a-uuid', ALL_ROLES, { sub: '' }), idp.privateKey)) }),
  'no exp': () => ({ headers: bearer(rs256({ ...claimsFor(victim.id, ALL_ROLES), exp: undefined }, idp.privateKey)) }),
  // A genuine token of another tenant, pointed at the victim every way a request can name a tenant.
  "other tenant's token": () => ({
    headers: { ...bearer(rs256(claimsFor(other.id, ALL_ROLES), idp.privateKey)), 'x-tenant-id': victim.id },
    query: { tenant_id: victim.id },
    body: { ...event, tenant_id: victim.id },
  }),
  'missing role': () => ({ headers: bearer(hs256(claimsFor(victim.id, []), SECRET)) }),
  // Genuine tokens of the victim tenant with roles that may not read usage (least privilege).
  'agent role only': () => ({ headers: bearer(rs256(claimsFor(victim.id, ['agent']), idp.privateKey)) }),
  'operator role only': () => ({ headers: bearer(rs256(claimsFor(victim.id, ['operator']), idp.privateKey)) }),
  'wrong issuer': () => ({ headers: bearer(rs256(claimsFor(victim.id, ALL_ROLES, { iss: 'https://evil.example' }), idp.privateKey)) }),
  'wrong audience': () => ({ headers: bearer(rs256(claimsFor(victim.id, ALL_ROLES, { aud: 'another-api' }), idp.privateKey)) }),
  'older than JWT_MAX_AGE_SECONDS': () => ({
    headers: bearer(rs256(claimsFor(victim.id, ALL_ROLES, { iat: Math.floor(Date.now() / 1000) - 90_000 }), idp.privateKey)),
  }),
  'operator basic auth, wrong password': () => ({ headers: { authorization: `Basic ${Buffer.from('ops:wrong-password-1234').toString('base64')}` } }),
};

/** Status a secured route must answer for each case. */
/** The tenant-scoped reads of issue 17 (history, periods, events drill-down, quota check). */
const HISTORY_READS = ['GET /api/v1/usage/history', 'GET /api/v1/usage/periods', 'GET /api/v1/usage/events', 'GET /api/v1/usage/check'];

/** Operators' corrections (issue 18): role `admin` only, whatever the tenant of the token. */
const ADMIN_WRITES = ['POST /api/v1/admin/usage/corrections'];

function expectedStatus(operation: Operation, caseName: string): number {
  const key = `${operation.method.toUpperCase()} ${operation.path}`;
  if (ADMIN_WRITES.includes(key)) {
    // Every genuine token of the matrix lacks `admin` (the attacker's carries user, agent and service).
    if (["other tenant's token", 'missing role', 'agent role only', 'operator role only'].includes(caseName)) return 403;
    return 401;
  }
  if (caseName === "other tenant's token") {
    if (key === 'GET /api/v1/usage') return 200; // the caller's own usage, never the victim's
    if (key === 'POST /api/v1/usage/events') return 400; // tenant_id may not be named in the body
    if (HISTORY_READS.includes(key)) return 400; // tenant_id is not a parameter: refused, never obeyed
    return 401; // Bull Board: not an operator
  }
  if (caseName === 'missing role') {
    // Usage is read by roles user, service and admin only; ingest by agent and service.
    if (key === 'GET /api/v1/usage' || key === 'POST /api/v1/usage/events' || HISTORY_READS.includes(key)) return 403;
    return 401;
  }
  if (caseName === 'agent role only') {
    if (key === 'GET /api/v1/usage/check') return 400; // agents may ask; the matrix sends no agent
    if (key === 'GET /api/v1/usage' || HISTORY_READS.includes(key)) return 403;
    if (key === 'POST /api/v1/usage/events') return 202; // the victim's own agent reporting its own usage
    return 401;
  }
  if (caseName === 'operator role only') {
    if (key === 'GET /api/v1/usage' || key === 'POST /api/v1/usage/events' || HISTORY_READS.includes(key)) return 403;
    return 200; // Bull Board, read-only
  }
  return 401;
}

async function send(operation: Operation, attempt: Attempt): Promise<request.Response> {
  const agent = request(api.app);
  const query = attempt.query ? `?${new URLSearchParams(attempt.query).toString()}` : '';
  const req = operation.method === 'post' ? agent.post(`${operation.path}${query}`) : agent.get(`${operation.path}${query}`);
  for (const [name, value] of Object.entries(attempt.headers)) req.set(name, value);
  if (operation.method === 'post') req.set('Content-Type', 'application/json').send(JSON.stringify(attempt.body ?? event));
  return req;
}

beforeAll(async () => {
  api = await inProcessApi(db.current, {
    NODE_ENV: 'production',
    JWT_PUBLIC_KEY: idp.publicKey,
    JWT_ISSUER: TEST_ISSUER,
    JWT_AUDIENCE: TEST_AUDIENCE,
    // The matrix sends hundreds of refused credentials from one address on purpose: the per-IP
    // limit and the basic-auth lockout have their own scenarios (security.faults.test.ts).
    IP_RATE_LIMIT_PER_MINUTE: '1000000',
    OPERATOR_LOGIN_MAX_FAILURES: '1000',
    STRIPE_WEBHOOK_SECRET: 'whsec_auth_matrix',
    OPERATOR_USERNAME: 'ops',
    OPERATOR_PASSWORD: 'the-right-password-1234',
    USAGE_RATE_LIMIT_PER_MINUTE: '100000',
  });
  const { id: planId } = await seedPlan(db.current.dataSource);
  const period = calendarMonthOf(new Date());
  victim = { id: (await seedTenant(db.current.dataSource, { planId, name: 'Victim Corp 5f1e' })).tenantId, name: 'Victim Corp 5f1e' };
  other = { id: (await seedTenant(db.current.dataSource, { planId, name: 'Other Corp 9c2d' })).tenantId, name: 'Other Corp 9c2d' };
  await seedCounter(db.current.dataSource, victim.id, 'inbox', period, 987_654);
  await seedCounter(db.current.dataSource, other.id, 'inbox', period, 12);
  // The victim has work in the queue, so Bull Board would show its tenant id if it leaked.
  const accepted = await send({ method: 'post', path: '/api/v1/usage/events', secured: true }, { headers: bearer(rs256(claimsFor(victim.id, ['agent']), idp.privateKey)) });
  expect(accepted.status).toBe(202);
});
afterAll(async () => {
  await api?.close();
});

it('secured routes refuse every hostile token, public ones ignore it, and nothing leaks the victim tenant', async () => {
  const spec = (await request(api.app).get('/api/openapi.json')).body as { paths: Record<string, Record<string, { security?: unknown[] }>> };
  const operations: Operation[] = Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ method: method as Operation['method'], path, secured: (op.security?.length ?? 0) > 0 })),
  );
  // Bull Board's own JSON API (job data, hence tenant ids) sits behind the same guard.
  operations.push({ method: 'get', path: '/admin/queues/api/queues', secured: true });
  expect(operations.filter((op) => op.secured).map((op) => `${op.method} ${op.path}`)).toEqual([
    'get /api/v1/usage',
    'post /api/v1/usage/events',
    'get /api/v1/usage/events',
    'get /admin/queues',
    'get /api/v1/usage/history',
    'get /api/v1/usage/periods',
    'get /api/v1/usage/check',
    'post /api/v1/admin/usage/corrections',
    'get /admin/queues/api/queues',
  ]);

  const mismatches: string[] = [];
  for (const operation of operations) {
    const baseline = await send(operation, CASES['no token']!());
    for (const [caseName, build] of Object.entries(CASES)) {
      const res = await send(operation, build());
      const label = `${operation.method.toUpperCase()} ${operation.path} / ${caseName}`;
      const expected = operation.secured ? expectedStatus(operation, caseName) : baseline.status;
      if (res.status !== expected) mismatches.push(`${label}: ${res.status}, expected ${expected}`);
      if (res.status === 500) mismatches.push(`${label}: 500`);
      // The victim's own operator token sees the board (job data carries tenant ids); the attacker's
      // request names the victim's id itself (a redirect may echo it), so for it only the victim's data counts.
      const ownToken = caseName === 'operator role only' && operation.path.startsWith('/admin/queues');
      const echoesRequest = caseName === "other tenant's token";
      const leaked = res.text.includes(victim.name) || res.text.includes('987654') || (!echoesRequest && res.text.includes(victim.id));
      if (leaked && !ownToken) {
        mismatches.push(`${label}: response contains the victim tenant's data`);
      }
      if ([401, 403].includes(res.status) && operation.secured) {
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
      if (caseName === "other tenant's token" && operation.path === '/api/v1/usage') {
        expect(res.body).toMatchObject({ tenant_id: other.id, usage: { inbox: { count: 12 } } });
      }
    }
  }
  expect(mismatches).toEqual([]);
});

it('routes the development token endpoint nowhere in production', async () => {
  const res = await request(api.app).post('/api/v1/dev/token').set('Content-Type', 'application/json').send(JSON.stringify({ tenant_id: victim.id, roles: ['operator'] }));
  expect(res.status).toBe(404);
  expect(res.body.token).toBeUndefined();
});

it('still serves the right tenant to valid tokens (the matrix is not refusing everything)', async () => {
  for (const token of [
    rs256(claimsFor(victim.id, ['user']), idp.privateKey),
    hs256(claimsFor(victim.id, ['user']), SECRET),
    rs256(claimsFor(victim.id, ['service']), idp.privateKey),
    rs256(claimsFor(victim.id, ['admin']), idp.privateKey),
  ]) {
    const res = await request(api.app).get('/api/v1/usage').set(bearer(token));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tenant_id: victim.id, usage: { inbox: { count: 987_654 } } });
  }
  const operator = await request(api.app).get('/admin/queues/api/queues').set(bearer(rs256(claimsFor(other.id, ['operator']), idp.privateKey)));
  expect(operator.status).toBe(200);
});
