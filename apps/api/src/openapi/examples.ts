/** Examples shown in Swagger UI; shapes match DESIGN.md's API contract. */
const TENANT = '3f1b2c4d-1111-4222-8333-123456789abc';
const PROBLEMS = 'https://usage-metering.dev/problems/';

const usage = (count: number, limit: number | null, percentage: number | null, overage: number, cost: number) => ({
  count,
  limit,
  percentage,
  overage,
  overage_cost_cents: cost,
});

export const usageStatsExample = {
  tenant_id: TENANT,
  period_start: '2026-11-01T00:00:00.000Z',
  period_end: '2026-12-01T00:00:00.000Z',
  plan: { code: 'starter', name: 'Starter' },
  subscription_status: 'active',
  usage: {
    inbox: { ...usage(812, 1000, 81.2, 0, 0), projected_count: 1006, projected_overage_cost_cents: 12, projected_limit_date: '2026-11-30T02:00:00.000Z' },
    invoice: { ...usage(230, 200, 115, 30, 300), projected_count: 260, projected_overage_cost_cents: 600, projected_limit_date: null },
    meeting: { ...usage(3, null, null, 0, 0), projected_count: 3, projected_overage_cost_cents: 0, projected_limit_date: null },
  },
  total_overage_cost_cents: 300,
  alerts: [
    { agent: 'inbox', level: 'warning', message: 'Inbox agent has used 81% of its monthly limit' },
    { agent: 'inbox', level: 'forecast', message: 'Inbox agent reaches its monthly limit on Nov 30 at the current rate' },
    { agent: 'invoice', level: 'error', message: 'Invoice agent is 30 over its monthly limit' },
  ],
};

export const singleEventExample = {
  agent: 'inbox',
  action_type: 'email_processed',
  resource_id: 'msg-123',
  quantity: 1,
  idempotency_key: 'msg-123',
  occurred_at: '2026-11-29T10:00:00Z',
  metadata: { mailbox: 'support' },
};

export const batchExample = {
  events: [
    singleEventExample,
    { agent: 'invoice', action_type: 'invoice_detected', resource_id: 'inv-77', idempotency_key: 'inv-77' },
  ],
};

const problem = (status: number, slug: string, title: string, detail: string, extra: Record<string, unknown> = {}) => ({
  type: `${PROBLEMS}${slug}`,
  title,
  status,
  detail,
  instance: '/api/v1/usage/events',
  request_id: '7d0c2a4e-4a51-4c41-9a51-0f6a7d1b2c3d',
  ...extra,
});

export const problemExamples = {
  validation: problem(400, 'validation-failed', 'Invalid request', 'The request has invalid fields; see errors', {
    errors: [
      { field: 'events[3].quantity', message: 'quantity must be at least 1' },
      { field: 'events[7].agent', message: 'agent must be one of inbox, invoice, meeting' },
    ],
  }),
  malformedJson: problem(400, 'validation-failed', 'Invalid request', 'The request body is not valid JSON', {
    errors: [{ field: 'body', message: 'body must be valid JSON' }],
  }),
  unauthorized: problem(401, 'unauthorized', 'Authentication required', 'A valid bearer token is required'),
  operatorUnauthorized: problem(401, 'unauthorized', 'Authentication required', 'Operator credentials required', {
    instance: '/admin/queues',
  }),
  forbidden: problem(403, 'forbidden', 'Forbidden', 'This endpoint needs one of the roles: agent, service'),
  noSubscription: problem(404, 'not-found', 'Not found', `Tenant ${TENANT} has no subscription`, { instance: '/api/v1/usage' }),
  unknownTenant: problem(404, 'not-found', 'Not found', `Tenant ${TENANT} does not exist`),
  ingestNoSubscription: problem(404, 'not-found', 'Not found', `Tenant ${TENANT} has no subscription`),
  subscriptionInactive: problem(409, 'conflict', 'Conflict', `Tenant ${TENANT} has no active subscription (status: canceled)`),
  idempotencyConflict: problem(409, 'conflict', 'Conflict', 'Idempotency keys were already used for different events; see errors', {
    errors: [
      {
        field: 'events[1].idempotency_key',
        message: 'idempotency_key msg-123 was already used for another event (agent inbox, action_type email_processed, resource_id msg-123, quantity 1)',
      },
    ],
  }),
  periodFinal: problem(422, 'unprocessable', 'Cannot be processed', 'Events fall in a billing period whose invoice is final; see errors', {
    errors: [
      {
        field: 'events[0].occurred_at',
        message:
          'the invoice of the billing period 2026-10-01T00:00:00.000Z to 2026-11-01T00:00:00.000Z is final (Stripe finalizes it 3600 s after the period ends); the event can no longer be billed',
      },
    ],
  }),
  tooLarge: problem(413, 'payload-too-large', 'Payload too large', 'The request body is larger than this endpoint accepts'),
  unsupportedMedia: problem(415, 'unsupported-media-type', 'Unsupported media type', 'Send the events as application/json'),
  rateLimited: problem(429, 'rate-limited', 'Too many requests', 'Rate limit of 10 requests per minute exceeded for this tenant', {
    instance: '/api/v1/usage',
  }),
  internal: problem(500, 'internal-error', 'Internal server error', 'An unexpected error occurred; quote the request id when reporting it'),
  queueUnavailable: problem(503, 'service-unavailable', 'Service unavailable', 'The event queue is unavailable; retry the request later'),
  notReady: problem(503, 'service-unavailable', 'Service unavailable', 'Not ready: redis unavailable', {
    instance: '/health/ready',
    checks: { postgres: 'up', redis: 'down' },
  }),
};
