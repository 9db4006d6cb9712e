import { rateLimitHeaders, requestIdHeader } from './responses';

/** Issue 18's operator endpoint: corrections (void an event, adjust a counter). */
const ref = (name: string) => ({ $ref: `#/components/responses/${name}` });
const instance = '/api/v1/admin/usage/corrections';
const problem = (description: string, examples: Record<string, unknown>) => ({
  description,
  headers: requestIdHeader,
  content: {
    'application/problem+json': {
      schema: { $ref: '#/components/schemas/Problem' },
      examples: Object.fromEntries(Object.entries(examples).map(([name, value]) => [name, { value }])),
    },
  },
});
const base = 'https://usage-metering.dev/problems/';

const correctionExample = {
  id: '6a1f5a8e-3c2b-4f5e-9d1a-7b2c3d4e5f60',
  tenant_id: '3f1b2c4d-1111-4222-8333-123456789abc',
  correction_key: 'fix-2026-11-29-1',
  type: 'void',
  agent: 'inbox',
  period_start: '2026-11-01T00:00:00.000Z',
  quantity_delta: -1,
  voided_idempotency_key: 'msg-122',
  resource_id: 'msg-122',
  occurred_at: '2026-11-29T09:00:00.000Z',
  reason: 'the inbox agent sent this email twice',
  actor: 'token:ops-alice',
  counter_before: 1201,
  counter_after: 1200,
  created_at: '2026-11-29T10:15:00.000Z',
};

export const correctionSchemas = {
  CorrectionRequest: {
    oneOf: [
      {
        type: 'object',
        title: 'void',
        required: ['type', 'tenant_id', 'correction_key', 'idempotency_key', 'reason'],
        additionalProperties: false,
        properties: {
          type: { const: 'void' },
          tenant_id: { type: 'string', format: 'uuid' },
          correction_key: { type: 'string', minLength: 1, maxLength: 255, description: 'Your key: the same key and content again is a harmless replay' },
          idempotency_key: { type: 'string', minLength: 1, maxLength: 255, description: 'The stored event to take back (its whole quantity)' },
          reason: { type: 'string', minLength: 1, maxLength: 1000 },
        },
      },
      {
        type: 'object',
        title: 'adjustment',
        required: ['type', 'tenant_id', 'correction_key', 'agent', 'period_start', 'quantity', 'reason'],
        additionalProperties: false,
        properties: {
          type: { const: 'adjustment' },
          tenant_id: { type: 'string', format: 'uuid' },
          correction_key: { type: 'string', minLength: 1, maxLength: 255 },
          agent: { $ref: '#/components/schemas/AgentType' },
          period_start: { type: 'string', format: 'date-time', description: 'Start of one of the tenant\'s billing periods' },
          quantity: { type: 'integer', minimum: -1000000, maximum: 1000000, not: { const: 0 } },
          occurred_at: { type: 'string', format: 'date-time', description: 'The hour it applies to in the history; default now, inside the period' },
          reason: { type: 'string', minLength: 1, maxLength: 1000 },
        },
      },
    ],
  },
  Correction: {
    type: 'object',
    required: Object.keys(correctionExample),
    additionalProperties: false,
    properties: {
      id: { type: 'string', format: 'uuid' },
      tenant_id: { type: 'string', format: 'uuid' },
      correction_key: { type: 'string' },
      type: { type: 'string', enum: ['void', 'adjustment'] },
      agent: { $ref: '#/components/schemas/AgentType' },
      period_start: { type: 'string', format: 'date-time' },
      quantity_delta: { type: 'integer', description: 'Added to the counter; negative takes usage back' },
      voided_idempotency_key: { type: ['string', 'null'] },
      resource_id: { type: ['string', 'null'] },
      occurred_at: { type: 'string', format: 'date-time' },
      reason: { type: 'string' },
      actor: { type: 'string', description: '`token:<sub>` of the admin, or `cli:<user>`' },
      counter_before: { type: 'integer', minimum: 0 },
      counter_after: { type: 'integer', minimum: 0 },
      created_at: { type: 'string', format: 'date-time' },
    },
  },
  CorrectionResponse: {
    type: 'object',
    required: ['correction', 'replayed'],
    additionalProperties: false,
    properties: { correction: { $ref: '#/components/schemas/Correction' }, replayed: { type: 'boolean' } },
  },
};

const answer = (description: string, replayed: boolean) => ({
  description,
  headers: { ...requestIdHeader, ...rateLimitHeaders },
  content: { 'application/json': { schema: { $ref: '#/components/schemas/CorrectionResponse' }, example: { correction: correctionExample, replayed } } },
});

export const correctionPaths = {
  [instance]: {
    post: {
      operationId: 'createUsageCorrection',
      tags: ['operations'],
      summary: 'Void a stored event or adjust a counter, with a reason (role admin)',
      description:
        'An operator action for the tenant named in the body. The correction is an append-only record (who, when, why, counter ' +
        'before and after) written in one transaction with the counter and the hourly history; events are never edited. The usage ' +
        'read, history, drill-down (as `kind: correction`) and reconciliation follow it; the next overage report sends the difference ' +
        'to Stripe, or records a credit for an operator when the invoice is final. Rate limited per admin tenant (USAGE_RATE_LIMIT_PER_MINUTE).',
      security: [{ bearerAuth: [] }],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: { $ref: '#/components/schemas/CorrectionRequest' },
            examples: {
              void: { value: { type: 'void', tenant_id: correctionExample.tenant_id, correction_key: 'fix-2026-11-29-1', idempotency_key: 'msg-122', reason: 'the inbox agent sent this email twice' } },
              adjustment: {
                value: { type: 'adjustment', tenant_id: correctionExample.tenant_id, correction_key: 'ticket-4711', agent: 'invoice', period_start: '2026-11-01T00:00:00Z', quantity: -20, reason: 'ticket 4711: test invoices' },
              },
            },
          },
        },
      },
      responses: {
        '201': answer('Applied', false),
        '200': answer('This correction key was already applied with the same content: nothing changed', true),
        '400': problem('A bad or unknown field, each named in `errors`', {
          missingReason: { type: `${base}validation-failed`, title: 'Invalid request', status: 400, detail: 'The request has invalid fields; see errors', instance, errors: [{ field: 'reason', message: 'reason is required: 1 to 1000 characters saying why' }] },
        }),
        '401': ref('Unauthorized'),
        '403': ref('Forbidden'),
        '404': problem('No stored event has this idempotency key for the tenant (or the tenant does not exist)', {
          noEvent: { type: `${base}not-found`, title: 'Not found', status: 404, detail: 'The request was refused; see errors', instance, errors: [{ field: 'idempotency_key', message: 'no stored event has idempotency_key msg-999' }] },
        }),
        '409': problem('The correction key was used for another correction, or the event is already voided', {
          keyReused: { type: `${base}conflict`, title: 'Conflict', status: 409, detail: 'correction_key fix-1 was already used for another correction (...); use a new key', instance, errors: [{ field: 'correction_key', message: 'correction_key fix-1 was already used for another correction (...); use a new key' }] },
        }),
        '415': problem('The body is not JSON', {
          notJson: { type: `${base}unsupported-media-type`, title: 'Unsupported media type', status: 415, detail: 'Send the correction as application/json', instance },
        }),
        '422': problem('The counter would go negative, the period is not one of the tenant\'s, or usage is added to a final invoice', {
          negative: { type: `${base}unprocessable`, title: 'Cannot be processed', status: 422, detail: 'the inbox counter of the period 2026-11-01T00:00:00.000Z is 12; a correction of -13 would make it negative', instance, errors: [{ field: 'quantity', message: 'the inbox counter of the period 2026-11-01T00:00:00.000Z is 12; a correction of -13 would make it negative' }] },
        }),
        '429': ref('RateLimited'),
        '500': ref('InternalError'),
      },
    },
  },
};
