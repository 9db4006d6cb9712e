import {
  ACTION_TYPES,
  AGENT_TYPES,
  MAX_EVENTS_PER_BATCH,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MAX_QUANTITY,
  MAX_RESOURCE_ID_LENGTH,
} from '@metering/usage';

/** JSON Schema 2020-12 objects for `components.schemas` (OpenAPI 3.1 uses JSON Schema as is). */
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const agentUsage = {
  type: 'object',
  required: [
    'count',
    'limit',
    'percentage',
    'overage',
    'overage_cost_cents',
    'projected_count',
    'projected_overage_cost_cents',
    'projected_limit_date',
  ],
  additionalProperties: false,
  properties: {
    count: { type: 'integer', minimum: 0, description: 'Units used in the current period' },
    limit: { type: ['integer', 'null'], minimum: 0, description: 'Monthly quota; null when unlimited' },
    percentage: {
      type: ['number', 'null'],
      minimum: 0,
      description: 'Percent of the limit used, one decimal; null when unlimited',
    },
    overage: { type: 'integer', minimum: 0, description: 'Units above the limit' },
    overage_cost_cents: { type: 'integer', minimum: 0, description: 'Overage cost in integer cents' },
    projected_count: {
      type: 'integer',
      minimum: 0,
      description: 'Forecast count at period end: the rate of the last 7 days (from the first hour with usage, at least a day) held to period end',
    },
    projected_overage_cost_cents: { type: 'integer', minimum: 0, description: 'Overage cost of projected_count, integer cents' },
    projected_limit_date: {
      type: ['string', 'null'],
      format: 'date-time',
      description: 'When the forecast reaches the limit; null when unlimited, already reached, idle or not within the period',
    },
  },
};

export const schemas = {
  AgentType: { type: 'string', enum: [...AGENT_TYPES] },
  ActionType: { type: 'string', enum: [...ACTION_TYPES], description: 'inbox: email_processed; invoice: invoice_detected; meeting: meeting_prep' },
  AgentUsage: agentUsage,
  UsageAlert: {
    type: 'object',
    required: ['agent', 'level', 'message'],
    additionalProperties: false,
    properties: {
      agent: ref('AgentType'),
      level: {
        type: 'string',
        enum: ['warning', 'error', 'forecast'],
        description: 'warning at >= 80%, error at >= 100%, forecast when the forecast reaches 100% before period end',
      },
      message: { type: 'string' },
    },
  },
  UsageStatsResponse: {
    type: 'object',
    required: ['tenant_id', 'period_start', 'period_end', 'plan', 'subscription_status', 'usage', 'total_overage_cost_cents', 'alerts'],
    additionalProperties: false,
    properties: {
      tenant_id: { type: 'string', format: 'uuid' },
      period_start: { type: 'string', format: 'date-time' },
      period_end: { type: 'string', format: 'date-time' },
      plan: {
        type: 'object',
        required: ['code', 'name'],
        additionalProperties: false,
        properties: { code: { type: 'string' }, name: { type: 'string' } },
      },
      subscription_status: { type: 'string', enum: ['trialing', 'active', 'past_due', 'canceled'] },
      usage: {
        type: 'object',
        required: [...AGENT_TYPES],
        additionalProperties: false,
        properties: Object.fromEntries(AGENT_TYPES.map((agent) => [agent, ref('AgentUsage')])),
      },
      total_overage_cost_cents: { type: 'integer', minimum: 0 },
      alerts: { type: 'array', items: ref('UsageAlert') },
    },
  },
  UsageEvent: {
    type: 'object',
    required: ['agent', 'action_type', 'resource_id'],
    additionalProperties: false,
    properties: {
      agent: ref('AgentType'),
      action_type: ref('ActionType'),
      resource_id: { type: 'string', minLength: 1, maxLength: MAX_RESOURCE_ID_LENGTH },
      quantity: { type: 'integer', minimum: 1, maximum: MAX_QUANTITY, default: 1 },
      idempotency_key: {
        type: 'string',
        minLength: 1,
        maxLength: MAX_IDEMPOTENCY_KEY_LENGTH,
        description: 'Scoped to the tenant; when absent, derived from (tenant, agent, action_type, resource_id)',
      },
      occurred_at: {
        type: 'string',
        format: 'date-time',
        description: 'When the work happened (default: now); at most 35 days in the past and 5 minutes in the future',
      },
      metadata: { type: 'object', description: 'Free-form; at most 4 KB serialized and 8 levels deep' },
    },
  },
  UsageEventBatch: {
    type: 'object',
    required: ['events'],
    additionalProperties: false,
    properties: { events: { type: 'array', minItems: 1, maxItems: MAX_EVENTS_PER_BATCH, items: ref('UsageEvent') } },
  },
  IngestAccepted: {
    type: 'object',
    required: ['accepted'],
    additionalProperties: false,
    properties: { accepted: { type: 'integer', minimum: 1, description: 'Events enqueued for counting' } },
  },
  HealthStatus: {
    type: 'object',
    required: ['status'],
    additionalProperties: false,
    properties: {
      status: { type: 'string', const: 'ok' },
      checks: ref('HealthChecks'),
    },
  },
  HealthChecks: {
    type: 'object',
    required: ['postgres', 'redis'],
    additionalProperties: false,
    properties: {
      postgres: { type: 'string', enum: ['up', 'down'] },
      redis: { type: 'string', enum: ['up', 'down'] },
    },
  },
  DevTokenRequest: {
    type: 'object',
    additionalProperties: false,
    properties: {
      tenant_id: { type: 'string', format: 'uuid', description: 'Default: the seeded demo tenant' },
      roles: { type: 'array', minItems: 1, items: { type: 'string', enum: ['user', 'agent', 'service', 'operator'] } },
    },
  },
  DevToken: {
    type: 'object',
    required: ['token', 'token_type', 'expires_in', 'tenant_id'],
    additionalProperties: false,
    properties: {
      token: { type: 'string' },
      token_type: { type: 'string', const: 'Bearer' },
      expires_in: { type: 'integer', description: 'Seconds' },
      tenant_id: { type: 'string', format: 'uuid' },
    },
  },
  FieldError: {
    type: 'object',
    required: ['field', 'message'],
    additionalProperties: false,
    properties: {
      field: { type: 'string', description: 'Path of the bad field, e.g. `events[3].quantity`' },
      message: { type: 'string' },
    },
  },
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details',
    required: ['type', 'title', 'status', 'detail'],
    properties: {
      type: { type: 'string', format: 'uri' },
      title: { type: 'string' },
      status: { type: 'integer', minimum: 400, maximum: 599 },
      detail: { type: 'string' },
      instance: { type: 'string' },
      request_id: { type: 'string', description: 'Also in the X-Request-Id header; quote it when reporting a problem' },
      errors: { type: 'array', items: ref('FieldError'), description: 'Present on 400: one entry per bad field' },
      checks: ref('HealthChecks'),
    },
  },
} as const;
