import { batchExample, singleEventExample, usageStatsExample } from './examples';
import { problemResponse, rateLimitHeaders, requestIdHeader } from './responses';

const json = (schemaName: string, example?: unknown) => ({
  'application/json': {
    schema: { $ref: `#/components/schemas/${schemaName}` },
    ...(example !== undefined ? { example } : {}),
  },
});
const ref = (name: string) => ({ $ref: `#/components/responses/${name}` });
const bearer = [{ bearerAuth: [] }];

/** Every endpoint the API serves; `openapi.test.ts` checks real responses against these. */
export const paths = {
  '/api/v1/usage': {
    get: {
      operationId: 'getUsage',
      tags: ['usage'],
      summary: "The caller's tenant's usage of the current billing period",
      description:
        'Counts, limits, percentages, overage and overage cost per agent, plus alerts (warning >= 80%, error >= 100%). ' +
        'The tenant is taken from the token only. Needs role `user`, `service` or `admin` (403 otherwise: ' +
        '`agent` tokens only report usage, `operator` tokens only watch queues). ' +
        'Rate limited per tenant (USAGE_RATE_LIMIT_PER_MINUTE, default 10).',
      security: bearer,
      responses: {
        '200': {
          description: 'Usage of the current period',
          headers: { ...requestIdHeader, ...rateLimitHeaders },
          content: json('UsageStatsResponse', usageStatsExample),
        },
        '401': ref('Unauthorized'),
        '403': ref('Forbidden'),
        '404': problemResponse('The tenant has no subscription', 'noSubscription'),
        '429': ref('RateLimited'),
        '500': ref('InternalError'),
      },
    },
  },
  '/api/v1/usage/events': {
    post: {
      operationId: 'trackUsageEvents',
      tags: ['usage'],
      summary: 'Report units of work: one event or a batch of up to 1,000',
      description:
        'Needs role `agent` or `service`. Every event is validated first, then checked against what counting it ' +
        'needs: the tenant exists (404), its subscription exists (404) and is metered (409), its billing period ' +
        'can still be billed (422: the invoice is final after period end + INVOICE_GRACE_SECONDS - 5 min), its ' +
        'idempotency_key is not stored for a different event (409; same content is a harmless duplicate; content ' +
        '= agent, action_type, resource_id, quantity). One refused event refuses the request and nothing is ' +
        'enqueued. Accepted events are counted exactly once by the workers (retries with the same ' +
        'idempotency_key are safe), or, if something changed after the 202, kept as dead letters with the reason. ' +
        '`tenant_id` must not be sent: the tenant comes from the token. ' +
        'Rate limited per tenant (INGEST_RATE_LIMIT_PER_MINUTE requests, and a budget of INGEST_EVENTS_PER_MINUTE ' +
        'events and INGEST_BYTES_PER_MINUTE bytes: 429 with Retry-After). 503 with Retry-After while Redis is ' +
        'near its memory limit, and on a Redis Cluster when no replica confirmed the enqueue in time. Body limit 5 MB.',
      security: bearer,
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: { oneOf: [{ $ref: '#/components/schemas/UsageEvent' }, { $ref: '#/components/schemas/UsageEventBatch' }] },
            examples: { single: { value: singleEventExample }, batch: { value: batchExample } },
          },
        },
      },
      responses: {
        '202': {
          description: 'Events accepted and enqueued',
          headers: { ...requestIdHeader, ...rateLimitHeaders },
          content: json('IngestAccepted', { accepted: 2 }),
        },
        '400': problemResponse('Invalid events (each bad field named) or malformed JSON', 'validation', 'malformedJson'),
        '401': ref('Unauthorized'),
        '403': ref('Forbidden'),
        '404': problemResponse('The tenant does not exist or has no subscription; nothing was enqueued', 'unknownTenant', 'ingestNoSubscription'),
        '409': problemResponse(
          'The subscription is not metered (canceled), or an idempotency_key is already used for a different event (each named in errors); nothing was enqueued',
          'subscriptionInactive',
          'idempotencyConflict',
        ),
        '413': problemResponse('Body larger than 5 MB', 'tooLarge'),
        '415': problemResponse('Body is not application/json', 'unsupportedMedia'),
        '422': problemResponse("Events whose billing period's invoice is final (each named in errors); nothing was enqueued", 'periodFinal'),
        '429': ref('RateLimited'),
        '500': ref('InternalError'),
        '503': {
          ...problemResponse(
            'Redis (the event queue) is unreachable, near its memory limit, or (Redis Cluster) no replica confirmed the enqueue in time; retry later with the same idempotency keys',
            'queueUnavailable',
          ),
          headers: { ...requestIdHeader, 'Retry-After': { schema: { type: 'integer' } } },
        },
      },
    },
  },
  '/api/v1/dev/token': {
    post: {
      operationId: 'mintDevToken',
      tags: ['development'],
      summary: 'Development only (DEV_LOGIN=true, never in production; else 404): a one-hour token for the demo tenant, roles user, agent or service',
      requestBody: { required: false, content: json('DevTokenRequest', { roles: ['user'] }) },
      responses: {
        '200': {
          description: 'A signed HS256 token',
          content: json('DevToken', {
            token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0ZW5hbnRfaWQiOiIuLi4ifQ.c2lnbmF0dXJl',
            token_type: 'Bearer',
            expires_in: 3600,
            tenant_id: '3f1b2c4d-1111-4222-8333-123456789abc',
          }),
        },
        '400': problemResponse('Invalid tenant_id or roles', 'validation'),
        '404': problemResponse('Production, or no demo tenant seeded', 'noSubscription'),
      },
    },
  },
  '/health/live': {
    get: {
      operationId: 'liveness',
      tags: ['operations'],
      summary: 'The process is up',
      responses: { '200': { description: 'Alive', content: json('HealthStatus', { status: 'ok' }) } },
    },
  },
  '/health/ready': {
    get: {
      operationId: 'readiness',
      tags: ['operations'],
      summary: 'Postgres (SELECT 1) and Redis (PING) answer within 1 s each',
      responses: {
        '200': {
          description: 'Ready',
          content: json('HealthStatus', { status: 'ok', checks: { postgres: 'up', redis: 'up' } }),
        },
        '503': problemResponse('A dependency is down (named in detail and checks) or the process is draining', 'notReady'),
      },
    },
  },
  '/api/openapi.json': {
    get: {
      operationId: 'openApiDocument',
      tags: ['operations'],
      summary: 'This OpenAPI 3.1 document',
      responses: { '200': { description: 'OpenAPI document', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  },
  '/api/docs': {
    get: {
      operationId: 'swaggerUi',
      tags: ['operations'],
      summary: 'Swagger UI over this document',
      responses: { '200': { description: 'HTML page', content: { 'text/html': { schema: { type: 'string' } } } } },
    },
  },
  '/api/v1/stripe/webhooks': {
    post: {
      operationId: 'stripeWebhook',
      tags: ['billing'],
      summary: 'Stripe webhook deliveries (customer.subscription.*, v1.billing.meter.error_report_triggered)',
      description:
        'Authenticated by the Stripe-Signature header over the raw body (STRIPE_WEBHOOK_SECRET), not by a token. ' +
        'Each event id is applied once; a redelivery answers 200 with status "duplicate".',
      parameters: [{ name: 'Stripe-Signature', in: 'header', required: true, schema: { type: 'string' } }],
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
      responses: {
        '200': {
          description: 'Received: applied, duplicate (already applied), stale (older than the change already applied; recorded, not applied) or ignored (not for this system)',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['received', 'id', 'type', 'status'],
                properties: {
                  received: { type: 'boolean' },
                  id: { type: 'string' },
                  type: { type: 'string' },
                  status: { type: 'string', enum: ['applied', 'duplicate', 'stale', 'ignored'] },
                },
              },
              example: { received: true, id: 'evt_1QxYz', type: 'customer.subscription.updated', status: 'applied' },
            },
          },
        },
        '400': problemResponse('Missing or invalid Stripe signature; nothing was changed'),
        '422': problemResponse('Genuine event that cannot be applied yet (e.g. unknown plan); Stripe redelivers it'),
        '503': problemResponse('STRIPE_WEBHOOK_SECRET is not configured'),
      },
    },
  },
  '/admin/queues': {
    get: {
      operationId: 'bullBoard',
      tags: ['operations'],
      summary:
        'Bull Board over every queue: read-only for role operator and HTTP basic OPERATOR_USERNAME/PASSWORD (writes 403); ' +
        'writes (audited in operator_audit_log) only for role admin. Failed basic logins lock the IP out (429).',
      security: [{ bearerAuth: [] }, { operatorBasic: [] }],
      responses: {
        '200': { description: 'Bull Board UI', content: { 'text/html': { schema: { type: 'string' } } } },
        '401': {
          ...problemResponse('No operator credentials', 'operatorUnauthorized'),
          headers: { ...requestIdHeader, 'WWW-Authenticate': { schema: { type: 'string' }, example: 'Basic realm="operators"' } },
        },
      },
    },
  },
};

