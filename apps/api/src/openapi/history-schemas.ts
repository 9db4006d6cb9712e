import { AGENT_TYPES } from '@metering/usage';

/** Schemas of issue 17's endpoints (history, periods, events, check), merged into `components.schemas`. */
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const perAgent = (schema: object) => ({
  type: 'object',
  required: [...AGENT_TYPES],
  additionalProperties: false,
  properties: Object.fromEntries(AGENT_TYPES.map((agent) => [agent, schema])),
});

export const historySchemas = {
  UsageHistoryResponse: {
    type: 'object',
    required: ['tenant_id', 'window', 'from', 'to', 'series'],
    additionalProperties: false,
    properties: {
      tenant_id: { type: 'string', format: 'uuid' },
      window: { type: 'string', enum: ['hour', 'day'] },
      from: { type: 'string', format: 'date-time', description: 'Start of the first window (from, rounded down to the window in UTC)' },
      to: { type: 'string', format: 'date-time', description: 'End of the last window (to, rounded up)' },
      series: {
        type: 'object',
        description: 'One zero-filled series per agent (only `agent` when given), at most 1,000 points each',
        additionalProperties: false,
        properties: Object.fromEntries(
          AGENT_TYPES.map((agent) => [
            agent,
            {
              type: 'array',
              maxItems: 1000,
              items: {
                type: 'object',
                required: ['start', 'count'],
                additionalProperties: false,
                properties: { start: { type: 'string', format: 'date-time' }, count: { type: 'integer', minimum: 0 } },
              },
            },
          ]),
        ),
      },
    },
  },
  PeriodAgentUsage: {
    type: 'object',
    required: ['count', 'limit', 'overage', 'overage_cost_cents', 'stripe'],
    additionalProperties: false,
    properties: {
      count: { type: 'integer', minimum: 0 },
      limit: { type: ['integer', 'null'], minimum: 0 },
      overage: { type: 'integer', minimum: 0 },
      overage_cost_cents: { type: 'integer', minimum: 0 },
      stripe: {
        type: 'object',
        description: 'The Stripe ledger for this overage: failed beats pending beats sent; none when nothing was owed',
        required: ['status', 'sent_quantity', 'pending_quantity', 'failed_quantity'],
        additionalProperties: false,
        properties: {
          status: { type: 'string', enum: ['none', 'sent', 'pending', 'failed'] },
          sent_quantity: { type: 'integer', minimum: 0 },
          pending_quantity: { type: 'integer', minimum: 0 },
          failed_quantity: { type: 'integer', minimum: 0 },
        },
      },
    },
  },
  UsagePeriodsResponse: {
    type: 'object',
    required: ['data', 'next_cursor'],
    additionalProperties: false,
    properties: {
      data: {
        type: 'array',
        items: {
          type: 'object',
          required: ['period_start', 'period_end', 'usage', 'total_overage_cost_cents'],
          additionalProperties: false,
          properties: {
            period_start: { type: 'string', format: 'date-time' },
            period_end: { type: 'string', format: 'date-time' },
            usage: perAgent(ref('PeriodAgentUsage')),
            total_overage_cost_cents: { type: 'integer', minimum: 0 },
          },
        },
      },
      next_cursor: { type: ['string', 'null'], description: 'Pass as `cursor` for older periods; null on the last page' },
    },
  },
  UsageEventRecord: {
    type: 'object',
    description: 'An event, or (kind `correction`) an operator\'s void or adjustment: then quantity is signed, idempotency_key is the correction key and action_type is `correction`',
    required: ['agent', 'action_type', 'resource_id', 'quantity', 'idempotency_key', 'occurred_at', 'metadata', 'kind', 'correction'],
    additionalProperties: false,
    properties: {
      agent: ref('AgentType'),
      action_type: { type: 'string' },
      resource_id: { type: 'string' },
      quantity: { type: 'integer', description: 'At least 1 for an event; non-zero, signed, for a correction' },
      idempotency_key: { type: 'string' },
      occurred_at: { type: 'string', format: 'date-time' },
      metadata: { type: 'object' },
      kind: { type: 'string', enum: ['event', 'correction'] },
      correction: {
        oneOf: [
          { type: 'null' },
          {
            type: 'object',
            required: ['type', 'reason', 'voided_idempotency_key'],
            additionalProperties: false,
            properties: {
              type: { type: 'string', enum: ['void', 'adjustment'] },
              reason: { type: 'string' },
              voided_idempotency_key: { type: ['string', 'null'] },
            },
          },
        ],
      },
    },
  },
  UsageEventsPage: {
    type: 'object',
    required: ['data', 'next_cursor'],
    additionalProperties: false,
    properties: {
      data: { type: 'array', items: ref('UsageEventRecord') },
      next_cursor: { type: ['string', 'null'], description: 'Pass as `cursor` for the next (older) page; null on the last page' },
    },
  },
  UsageCheckResponse: {
    type: 'object',
    required: ['agent', 'quantity', 'allowed', 'remaining', 'limit', 'count', 'policy', 'reason'],
    additionalProperties: false,
    properties: {
      agent: ref('AgentType'),
      quantity: { type: 'integer', minimum: 1 },
      allowed: { type: 'boolean' },
      remaining: { type: ['integer', 'null'], minimum: 0, description: 'Units left before the limit; null when unlimited' },
      limit: { type: ['integer', 'null'], minimum: 0 },
      count: { type: 'integer', minimum: 0, description: 'The period counter, at most 1 s old' },
      policy: { type: 'string', enum: ['overage', 'block'] },
      reason: { type: 'string', enum: ['unlimited', 'within_limit', 'overage_billed', 'limit_reached'] },
    },
  },
} as const;
