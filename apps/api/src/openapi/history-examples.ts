/** Examples of issue 17's endpoints, shown in Swagger UI. */
const TENANT = '3f1b2c4d-1111-4222-8333-123456789abc';
const PROBLEMS = 'https://usage-metering.dev/problems/';

export const historyExample = {
  tenant_id: TENANT,
  window: 'day',
  from: '2026-11-01T00:00:00.000Z',
  to: '2026-11-03T00:00:00.000Z',
  series: {
    inbox: [
      { start: '2026-11-01T00:00:00.000Z', count: 31 },
      { start: '2026-11-02T00:00:00.000Z', count: 44 },
    ],
    invoice: [
      { start: '2026-11-01T00:00:00.000Z', count: 6 },
      { start: '2026-11-02T00:00:00.000Z', count: 9 },
    ],
    meeting: [
      { start: '2026-11-01T00:00:00.000Z', count: 0 },
      { start: '2026-11-02T00:00:00.000Z', count: 1 },
    ],
  },
};

const stripe = (status: string, sent: number, pending = 0, failed = 0) => ({
  status,
  sent_quantity: sent,
  pending_quantity: pending,
  failed_quantity: failed,
});

export const periodsExample = {
  data: [
    {
      period_start: '2026-10-01T00:00:00.000Z',
      period_end: '2026-11-01T00:00:00.000Z',
      usage: {
        inbox: { count: 1040, limit: 1000, overage: 40, overage_cost_cents: 80, stripe: stripe('sent', 40) },
        invoice: { count: 150, limit: 200, overage: 0, overage_cost_cents: 0, stripe: stripe('none', 0) },
        meeting: { count: 12, limit: null, overage: 0, overage_cost_cents: 0, stripe: stripe('none', 0) },
      },
      total_overage_cost_cents: 80,
    },
  ],
  next_cursor: 'MTc1OTI3NjgwMDAwMA',
};

export const eventsPageExample = {
  data: [
    {
      agent: 'inbox',
      action_type: 'email_processed',
      resource_id: 'msg-123',
      quantity: 1,
      idempotency_key: 'msg-123',
      occurred_at: '2026-11-29T10:00:00.000Z',
      metadata: { mailbox: 'support' },
      kind: 'event',
      correction: null,
    },
    {
      agent: 'inbox',
      action_type: 'correction',
      resource_id: 'msg-122',
      quantity: -1,
      idempotency_key: 'fix-2026-11-29-1',
      occurred_at: '2026-11-29T09:00:00.000Z',
      metadata: {},
      kind: 'correction',
      correction: { type: 'void', reason: 'the inbox agent sent this email twice', voided_idempotency_key: 'msg-122' },
    },
  ],
  next_cursor: 'MTc2NDQxMDQwMDAwMDAwMHxtc2ctMTIz',
};

export const eventsCsvExample =
  'occurred_at,agent,action_type,resource_id,quantity,idempotency_key,kind,correction_reason\r\n' +
  '2026-11-29T10:00:00.000Z,inbox,email_processed,msg-123,1,msg-123,event,\r\n' +
  '2026-11-29T09:00:00.000Z,inbox,correction,msg-122,-1,fix-2026-11-29-1,correction,the inbox agent sent this email twice\r\n';

export const checkExample = {
  agent: 'inbox',
  quantity: 1,
  allowed: false,
  remaining: 0,
  limit: 1000,
  count: 1000,
  policy: 'block',
  reason: 'limit_reached',
};

const problem = (status: number, slug: string, title: string, detail: string, instance: string, extra: Record<string, unknown> = {}) => ({
  type: `${PROBLEMS}${slug}`,
  title,
  status,
  detail,
  instance,
  request_id: '7d0c2a4e-4a51-4c41-9a51-0f6a7d1b2c3d',
  ...extra,
});

export const historyProblemExamples = {
  badParameter: problem(400, 'validation-failed', 'Invalid request', 'The request has invalid fields; see errors', '/api/v1/usage/history', {
    errors: [{ field: 'to', message: 'from..to spans 1,008 hour windows; at most 1,000 per answer: narrow the range or use window=day' }],
  }),
  quotaBlocked: problem(
    409,
    'conflict',
    'Conflict',
    'The inbox limit of 1,000 per period is reached and the plan blocks usage above it (count 1,000, this request 1)',
    '/api/v1/usage/events',
  ),
};
